// "Don't let the laptop sleep in the middle of a backup": a logind inhibitor lock (sleep and shutdown,
// mode block) held while a run writes to a drive, released at the end whatever the outcome, and by the
// kernel if the process dies. Where there is no logind (no systemd-inhibit, no system bus) the run goes
// on without one: losing the lock must never cost the backup.
import { which } from './tools'
import { CommandError, ProcessRunner, type Runner } from '../system/runner'
import { systemdInhibitArgv } from '../system/inhibit'

export const INHIBIT_WHO = 'ZFS Drive Backup'

/** Releases the lock; resolves once the holder has exited. Safe to call twice. */
export type ReleaseSleep = () => Promise<void>

export type HoldSleep = (why: string) => Promise<ReleaseSleep>

export interface HoldSleepOptions {
  runner?: Runner
  /** Told when no lock could be taken (and why); the run goes on. */
  onUnavailable?: (reason: string) => void
  path?: string
}

export function sleepHolder(o: HoldSleepOptions = {}): HoldSleep {
  const runner = o.runner ?? new ProcessRunner()
  return async (why) => {
    if (!which('systemd-inhibit', o.path) || !which('tail', o.path)) {
      o.onUnavailable?.('systemd-inhibit is not installed')
      return async () => undefined
    }
    const controller = new AbortController()
    const argv = systemdInhibitArgv({ what: 'sleep:shutdown', who: INHIBIT_WHO, why, mode: 'block', pid: process.pid })
    const held = runner.run(argv, { signal: controller.signal, group: true, allowFailure: true }).then(
      (r) => {
        // Exiting by itself means it never got (or lost) the lock: no logind, no system bus, refused.
        if (!controller.signal.aborted) o.onUnavailable?.(`systemd-inhibit exited ${r.exitCode}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`)
      },
      (err: unknown) => {
        if (!(err instanceof CommandError && err.cancelled)) o.onUnavailable?.(String(err))
      },
    )
    return async () => {
      controller.abort()
      await held
    }
  }
}

/** Runs `fn` with sleep held off. */
export async function withSleepHeld<T>(hold: HoldSleep | undefined, why: string, fn: () => Promise<T>): Promise<T> {
  if (!hold) return fn()
  const release = await hold(why)
  try {
    return await fn()
  } finally {
    await release()
  }
}
