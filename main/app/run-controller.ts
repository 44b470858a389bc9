// One privileged run at a time: starts the job through the launcher, folds its events (shared/run-fold.ts:
// the same fold the history and the window use) into the run's status for the window, adds what only
// the app knows (the "stalled" mark, whether cancel still works), and turns a run that ended without a
// record (pkexec refused, the helper crashed) into a failed record of its own.
import { randomUUID } from 'node:crypto'
import type { RunEvent } from '../../shared/events'
import { foldRun, stepsOf, type RunFold } from '../../shared/run-fold'
import type { RunRecord } from '../../shared/run-record'
import { verbLabel } from '../../shared/verbs'
import type { Accepted, RunStatus } from '../../shared/wire'
import type { Job, JobVerb } from '../helper/job'
import type { LaunchError, LaunchResult, Launcher, RunHandle } from './privileged'
import type { TimerApi } from './throttle'

export const STALL_MS = 5000

export interface ActiveRun {
  job: Job
  /** Until the helper says run-started (after the password prompt): what the window shows meanwhile. */
  pending: RunStatus
  fold: RunFold | null
  handle: RunHandle | null
  startedAt: number
  /** An error the helper reported before any run started (a job it refused). */
  preRunError: Extract<RunEvent, { type: 'error' }> | null
  lastBytes: number
  stallTimer: unknown
  stalled: boolean
  cancellable: boolean
  cancelRequested: boolean
  /** Started by the backup-on-plug service and followed from its feed: shown, not cancellable. */
  headless?: boolean
}

/** The drive a run is on, as the window should name it. */
export const runDrive = (a: ActiveRun): string | null => a.fold?.record.drive ?? a.pending.drive

export interface RunControllerDeps {
  launcher: Launcher
  timers: TimerApi
  available: ReadonlySet<JobVerb>
  log: (message: string) => void
  /** A run was accepted and is about to launch. */
  started: () => void
  /** Every event of the current run, after the run's status took it in. */
  onEvent: (e: RunEvent, run: ActiveRun) => void
  /** A record the helper's events made is final: keep it in the history (true when written), before
   *  the run is cleared. A run that never reached the helper is not history. */
  persist: (record: RunRecord) => Promise<boolean>
  /** The run is over and cleared; `written` when its record went to the history. */
  finished: (record: RunRecord, written: boolean) => Promise<void>
  changed: () => void
}

const errorOf = (e: { code: string; message: string; hint?: string }) => ({ code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) })

export class RunController {
  current: ActiveRun | null = null
  private disposed = false

  constructor(private readonly d: RunControllerDeps) {}

  /** The run for the window. */
  status(): RunStatus | null {
    const a = this.current
    if (!a) return null
    const f = a.fold
    if (!f) return { ...a.pending, stalled: a.stalled, cancellable: a.cancellable }
    const r = f.record
    return {
      id: r.id, verb: r.verb, drive: r.drive, steps: stepsOf(f).map(({ id, title, outcome }) => ({ id, title, outcome })), stepIndex: f.stepIndex,
      command: f.command, progress: f.progress, stalled: a.stalled, startedAt: r.startedAt, cancellable: a.cancellable,
    }
  }

  /** Why nothing else may start now, or null. */
  busyReason(): string | null {
    const r = this.current
    const drive = r ? runDrive(r) : null
    return r ? `${verbLabel[r.job.verb]}${drive ? ` (${drive})` : ''} is in progress.` : null
  }

  start(job: Job, secret?: string): Accepted {
    if (this.disposed) return { accepted: false, reason: 'The app is quitting.' }
    if (this.current) return { accepted: false, reason: `${verbLabel[this.current.job.verb]} is in progress; one run at a time.` }
    if (!this.d.available.has(job.verb)) return { accepted: false, reason: `${verbLabel[job.verb]} is not available in this version yet.` }
    const drive = 'drive' in job ? job.drive : 'name' in job ? job.name : null
    const iso = new Date(this.d.timers.now()).toISOString()
    const active: ActiveRun = {
      job,
      // Until the helper says run-started (after the password prompt), the run shows the command that asks.
      pending: { id: `pending-${randomUUID()}`, verb: job.verb, drive, steps: [], stepIndex: 0, command: [...this.d.launcher.command()], progress: null, stalled: false, startedAt: iso, cancellable: true },
      fold: null, handle: null, startedAt: this.d.timers.now(), preRunError: null, lastBytes: 0, stallTimer: null, stalled: false, cancellable: true, cancelRequested: false,
    }
    this.current = active
    this.d.started()
    try {
      active.handle = this.d.launcher.run(job, { ...(secret !== undefined ? { secret } : {}), onEvent: (e) => this.onEvent(active, e), onProtocolError: (line) => this.d.log(`helper wrote a line that is not an event: ${line.slice(0, 200)}`) })
    } catch (err) {
      this.current = null
      this.d.changed()
      return { accepted: false, reason: err instanceof Error ? err.message : String(err) }
    }
    active.handle.done.then(
      (r) => this.finish(active, r),
      (err: unknown) => this.finish(active, { exitCode: null, outcome: null, helperRan: false, error: { code: 'helper-crashed', message: String(err) } }),
    )
    this.d.changed()
    return { accepted: true }
  }

  /**
   * A run the backup-on-plug service started, followed from its events (main/services/headless-feed.ts):
   * shown like our own, but not cancellable, and its record is the service's to keep and notify.
   */
  follow(e: RunEvent): void {
    if (e.type === 'run-started' && !this.current && !this.disposed) {
      const job = { verb: 'backup', configPath: '', drive: e.drive ?? '' } as Job
      this.current = {
        job, pending: { id: e.runId, verb: e.verb, drive: e.drive, steps: [], stepIndex: 0, command: null, progress: null, stalled: false, startedAt: e.at, cancellable: false },
        fold: null, handle: null, startedAt: this.d.timers.now(), preRunError: null, lastBytes: 0, stallTimer: null, stalled: false, cancellable: false, cancelRequested: false, headless: true,
      }
      this.d.started()
    }
    const a = this.current
    if (!a?.headless) return
    this.onEvent(a, e)
    const record = a.fold?.record
    if (e.type !== 'run-finished' || !record) return
    this.clearStall(a)
    this.current = null
    void this.d.finished({ ...record, headless: true }, false)
  }

  cancel(): Accepted {
    const run = this.current
    if (!run) return { accepted: false, reason: 'Nothing is running.' }
    if (!run.handle || !run.cancellable) return { accepted: false, reason: 'The run is already finishing.' }
    run.cancelRequested = true
    run.cancellable = false
    run.handle.cancel()
    this.d.changed()
    return { accepted: true }
  }

  /** Quitting: closing the helper's stdin cancels the run, and the helper still exports the pool. */
  dispose(): void {
    this.disposed = true
    this.current?.handle?.cancel()
  }

  private clearStall(a: ActiveRun): void {
    if (a.stallTimer !== null) this.d.timers.clearTimeout(a.stallTimer)
    a.stallTimer = null
    a.stalled = false
  }

  private onEvent(a: ActiveRun, e: RunEvent): void {
    if (this.current !== a) return
    a.fold = foldRun(a.fold, e)
    if (!a.fold && e.type === 'error') a.preRunError ??= e
    if (e.type === 'progress') this.watchStall(a, e.bytes)
    else if (e.type === 'step-started') {
      a.lastBytes = 0
      this.clearStall(a)
    } else if (e.type === 'step-finished') this.clearStall(a)
    else if (e.type === 'run-finished') {
      this.clearStall(a)
      a.cancellable = false
    }
    this.d.onEvent(e, a)
    this.d.changed()
  }

  /** Only moving bytes clear a stall: a repeated count must not make the mark flicker. Before the first
   *  byte the receive side is still setting up (seconds under load), so it is allowed longer. */
  private watchStall(a: ActiveRun, bytes: number): void {
    if (!(bytes > a.lastBytes || (a.stallTimer === null && !a.stalled))) return
    a.lastBytes = Math.max(a.lastBytes, bytes)
    this.clearStall(a)
    a.stallTimer = this.d.timers.setTimeout(() => {
      a.stallTimer = null
      if (this.current === a) {
        a.stalled = true
        this.d.changed()
      }
    }, a.lastBytes > 0 ? STALL_MS : 6 * STALL_MS)
  }

  private async finish(a: ActiveRun, r: LaunchResult): Promise<void> {
    this.clearStall(a)
    if (this.current !== a) return
    const record = this.finalRecord(a, r)
    const written = a.fold !== null && (await this.d.persist(record))
    this.current = null
    await this.d.finished(record, written)
  }

  private finalRecord(a: ActiveRun, r: LaunchResult): RunRecord {
    const iso = new Date(this.d.timers.now()).toISOString()
    const record = a.fold?.record
    if (!record) {
      // Nothing ran as root: pkexec refused, or the helper rejected the job before any command.
      const error: LaunchError | { code: string; message: string; hint?: string } = r.error ?? a.preRunError ?? { code: 'helper-crashed', message: 'The helper ended without a result.' }
      if (r.error) this.d.onEvent({ type: 'error', ...errorOf(error) }, a)
      return {
        id: randomUUID(), verb: a.job.verb, drive: a.pending.drive, startedAt: a.pending.startedAt, finishedAt: iso, durationMs: this.d.timers.now() - a.startedAt, bytes: 0,
        outcome: error.code === 'auth-dismissed' ? 'cancelled' : 'failed', steps: [], warnings: [], replicated: [], error: errorOf(error),
      }
    }
    if (record.outcome !== 'running') return record
    // The helper died mid-run (it never does on its own; a crash or a kill).
    const message = r.error?.message ?? `The helper stopped mid-run (exit ${r.exitCode ?? 'signal'}).`
    return { ...record, outcome: a.cancelRequested ? 'cancelled' : 'failed', finishedAt: iso, error: record.error ?? { code: 'helper-crashed', message } }
  }
}
