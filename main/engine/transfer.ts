// The native transfer: `zfs send -w -v -P … | zfs receive -s -u TARGET` as one OS pipe between the two
// children (Runner.pipe), its progress read from the send's own stderr. One call performs one resolved
// transfer: a full stream, an incremental from a snapshot or a bookmark, or a resume token.
import { CommandError, PipeError } from '../system/runner'
import { dieWithParentArgv } from '../system/setpriv'
import { receiveArgv, sendArgv, SendProgress } from '../system/zfs-send'
import { EngineError } from './errors'
import type { StepContext } from './pipeline'
import type { Transfer } from './plan'
import type { ProgressMeter } from './progress'

export interface TransferOptions {
  source: string
  target: string
  raw: boolean
  meter: ProgressMeter
  /** Prefix both commands with setpriv --pdeathsig KILL, so they die with this process. */
  dieWithParent: boolean
}

export interface TransferResult {
  /** The stream's size as the send announced it (its count when it announced none). */
  bytes: number
}

export function transferArgv(t: Transfer, o: { target: string; raw: boolean; dieWithParent: boolean }): { send: string[]; receive: string[] } {
  const wrap = (argv: string[]): string[] => (o.dieWithParent ? dieWithParentArgv(argv) : argv)
  return { send: wrap(sendArgv(t.base, t.to, { raw: o.raw })), receive: wrap(receiveArgv(o.target)) }
}

export async function runTransfer(ctx: StepContext, t: Transfer, o: TransferOptions): Promise<TransferResult> {
  if (!ctx.runner.pipe) throw new Error('this runner cannot run a send | receive pipe')
  const { send, receive } = transferArgv(t, o)
  const progress = new SendProgress()
  let announced: number | null = null
  try {
    await ctx.runner.pipe(send, receive, {
      onSendStderrLine: (line) => {
        progress.feed(line)
        // An -I range prints one line per snapshot, then the whole size: the total settles on the last.
        const total = progress.totalBytes
        if (total !== null && total !== announced) {
          announced = total
          o.meter.setEstimate(total)
        }
        o.meter.update(progress.bytes)
      },
    })
  } catch (err) {
    throw transferError(err, o.source, o.target)
  }
  return { bytes: progress.totalBytes ?? progress.bytes }
}

/** What the receive (or the send) said, as an error a user can act on. */
export function transferError(err: unknown, source: string, target: string): unknown {
  if (!(err instanceof CommandError) || err.cancelled) return err
  const stderr = err instanceof PipeError ? `${err.result.receive.stderr}\n${err.result.send.stderr}` : err.stderr
  if (/has been modified|destination .* has snapshots|destination .* exists/.test(stderr)) {
    return new EngineError('target-modified', `${target} on the drive was changed since the last backup, so the new snapshots cannot be received on top of it.`, `Nothing was rolled back. If the change on the drive is not needed, roll it back by hand (zfs rollback ${target}@<newest snapshot>) and back up again.`)
  }
  const tail = stderr.split('\n').filter((l) => l.trim() !== '' && !/^(\d\d:\d\d:\d\d|full|incremental|size)\t/.test(l)).slice(-3).join(' / ')
  return new EngineError('replication-failed', `Sending ${source} to ${target} failed${tail ? `: ${tail}` : ''}`, 'The drive keeps its previous snapshots; the next run sends the rest.')
}
