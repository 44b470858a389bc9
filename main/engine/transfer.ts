// The native transfer: `zfs send -w -v -P … | zfs receive -s -u TARGET` as one OS pipe between the two
// children (Runner.pipe), its progress read from the send's own stderr. One call performs one resolved
// transfer: a full stream, an incremental from a snapshot or a bookmark, or a resume token.
import { dieWithParentArgv } from '../system/setpriv'
import { receiveArgv, sendArgv, SendProgress } from '../system/zfs-send'
import { transferFailure } from './transfer-failure'
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
    throw await transferFailure(ctx, err, { source: o.source, target: o.target, what: t.to ? `@${t.to.split('@')[1]}` : 'the interrupted transfer', neededBytes: progress.totalBytes ?? t.estimateBytes })
  }
  return { bytes: progress.totalBytes ?? progress.bytes }
}
