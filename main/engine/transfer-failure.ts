// A failed transfer, in a user's words. Whatever the tool (the native `zfs send | zfs receive`, or
// syncoid around the same pipe) printed is classified (main/system/transfer-errors.ts) and turned into a
// sentence about the drive or the data; the tools' own lines go into the run's record with the failed
// step (EngineError.outputs), never into the headline. A full drive gets its partial receive discarded
// (`zfs receive -A`), so the space comes back, and the message says how much was needed and how much is
// free. The hint only promises a resume when the drive really holds a resumable partial copy.
import { bytes } from './units'
import { CommandError, PipeError } from '../system/runner'
import { classifyTransferFailure, failureLines, type TransferFailureKind } from '../system/transfer-errors'
import { getManyProperties, receiveAbortArgv } from '../system/zfs'
import { EngineError, type CommandOutput } from './errors'
import type { StepContext } from './pipeline'

export interface FailedTransfer {
  source: string
  target: string
  /** What was being sent (`@snap`, or "the interrupted transfer"), for the sentence. */
  what: string
  /** The stream's size as announced or estimated; null when unknown. */
  neededBytes: number | null
}

/** The drive ran out of space: what it needed and had, for the message and for what can be offered. */
export class DriveFullError extends EngineError {
  constructor(
    readonly target: string,
    readonly neededBytes: number | null,
    readonly freeBytes: number | null,
    message: string,
    hint: string,
  ) {
    super('drive-full', message, hint)
  }
}

/** Both sides' (or syncoid's) output of a failed transfer, as the record keeps it. */
export function transferOutputs(err: CommandError): CommandOutput[] {
  if (err instanceof PipeError) {
    return [err.result.send, err.result.receive].map((s) => ({ argv: [...s.argv], exitCode: s.exitCode, output: failureLines(s.stderr) }))
  }
  return [{ argv: [...err.argv], exitCode: err.exitCode, output: failureLines(`${err.stderr}\n${err.stdout}`) }]
}

function rawOutput(err: CommandError): string {
  return err instanceof PipeError ? `${err.result.receive.stderr}\n${err.result.send.stderr}` : `${err.stderr}\n${err.stdout}`
}

/** The target's partial-receive token and the space left where it lives, read in one `zfs get`. */
async function readTarget(ctx: StepContext, target: string): Promise<{ token: boolean; free: number | null }> {
  const parent = target.includes('/') ? target.slice(0, target.lastIndexOf('/')) : target
  const props = await getManyProperties(ctx.runner, [target, parent], ['receive_resume_token', 'available']).catch(() => new Map())
  const token = props.get(target)?.receiveResumeToken ?? null
  const free = Number(props.get(parent)?.raw.available?.value)
  return { token: token !== null, free: Number.isFinite(free) ? free : null }
}

/** Why nothing went wrong for good, said only when it is true. */
function afterwards(token: boolean): string {
  return token
    ? 'The drive keeps its previous snapshots and what arrived of this one; the next run checks that partial copy and continues it if it still fits.'
    : 'The drive keeps its previous snapshots; nothing of this transfer stayed on it.'
}

const SENTENCES: Record<Exclude<TransferFailureKind, 'out-of-space'>, (f: FailedTransfer) => { code: EngineError['code']; message: string; hint?: string }> = {
  'target-modified': (f) => ({
    code: 'target-modified',
    message: `${f.target} on the drive was changed since the last backup, so the new snapshots cannot be received on top of it.`,
    hint: `Nothing was rolled back. If the change on the drive is not needed, roll it back by hand (zfs rollback ${f.target}@<newest snapshot>) and back up again.`,
  }),
  'partial-receive': (f) => ({ code: 'replication-failed', message: `${f.target} on the drive holds an interrupted transfer that this run could not continue.` }),
  'drive-io': (f) => ({ code: 'drive-io-error', message: `The drive stopped answering while ${f.what} was being written to it (an I/O error).`, hint: 'Check the cable and the drive (zpool status shows its errors), then back up again.' }),
  'source-gone': (f) => ({ code: 'source-changed', message: `A snapshot of ${f.source} that this transfer needed was destroyed on the laptop while it ran (sanoid pruning, or by hand).` }),
  'stream-broken': (f) => ({ code: 'stream-broken', message: `The data stream from ${f.source} to the drive broke off before ${f.what} was complete.` }),
  'feature-missing': (f) => ({
    code: 'feature-missing',
    message: `The drive's pool cannot take ${f.what}: it lacks a ZFS feature the laptop's dataset uses.`,
    hint: `Enable the pool's features on this machine (zpool upgrade ${f.target.split('/')[0]}), or use a drive made by setup.`,
  }),
  unknown: (f) => ({ code: 'replication-failed', message: `Sending ${f.what} from ${f.source} to the drive failed.` }),
}

/** A failed transfer as the error a user reads; cancels and non-command errors pass through as they are. */
export async function transferFailure(ctx: StepContext, err: unknown, f: FailedTransfer): Promise<unknown> {
  if (!(err instanceof CommandError) || err.cancelled) return err
  const kind = classifyTransferFailure(rawOutput(err))
  const outputs = transferOutputs(err)
  let out: EngineError
  if (kind === 'out-of-space') out = await driveFull(ctx, f)
  else {
    const s = SENTENCES[kind](f)
    // A refusal leaves the drive as it was; any other failure may have left a partial copy, or not.
    const refused = kind === 'target-modified' || kind === 'feature-missing'
    const { token } = refused ? { token: false } : await readTarget(ctx, f.target)
    const hint = [s.hint, refused ? null : afterwards(token), kind === 'unknown' ? 'What the tools printed is in the run\'s history (zfs-drive-backup history --json).' : null].filter(Boolean).join(' ')
    out = new EngineError(s.code, s.message, hint)
  }
  out.outputs = outputs
  return out
}

/** ENOSPC: discard the partial receive so its space comes back, then say what was needed and what is free. */
async function driveFull(ctx: StepContext, f: FailedTransfer): Promise<DriveFullError> {
  const before = await readTarget(ctx, f.target)
  if (before.token) await ctx.runner.run(receiveAbortArgv(f.target), { allowFailure: true })
  const { free } = before.token ? await readTarget(ctx, f.target) : before
  const needed = f.neededBytes !== null ? `needs about ${bytes(f.neededBytes)}` : 'needs more space than it has'
  const has = free !== null ? `, and the drive has ${bytes(free)} free` : ''
  const discarded = before.token ? ` The partial copy was discarded (zfs receive -A ${f.target}), so its space is free again.` : ''
  return new DriveFullError(f.target, f.neededBytes, free, `The drive is full: ${f.what} ${needed}${has}.${discarded}`, 'Nothing already on the drive was lost. Use a bigger drive, or make room on this one.')
}
