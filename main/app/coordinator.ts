// The tray app's brain, Electron-free: it owns the config and history, listens to the drive watcher,
// starts one privileged run at a time through the launcher, turns the helper's events into AppState, and
// decides what to notify. Everything it needs is injected, so tests drive it with fakes and fake timers.
//
// Event-driven throughout: state changes on watcher events, run events and the user's calls. The only
// timers are one-shots: the "stalled" mark 5 s after the last moved byte, the outbound rate limits, and
// a daily re-check for the "no backup for N days" reminder.
import { randomUUID } from 'node:crypto'
import type { AppState, DrivePresence, DriveStatus, RunStatus, SourceCandidate, DoctorCheck, Accepted } from '../../shared/wire'
import { RunRecord as RunRecordSchema } from '../../shared/run-record'
import { ConfigError, loadConfig, saveConfig } from '../config/load'
import { emptyConfig, type Config, type DriveConfig } from '../config/schema'
import type { RunEvent } from '../../shared/events'
import { runDoctor } from '../engine/doctor'
import { listDiskCandidates } from '../engine/disks'
import { openTargets, restoreFile } from '../engine/restore'
import { lastScrub, scrubDue } from '../engine/scrub'
import { recordDrive } from '../engine/setup'
import { which } from '../engine/tools'
import type { Job, JobVerb } from '../helper/job'
import { applyEvent, type RunRecord } from '../../shared/run-record'
import { appendRun, readRuns } from '../history/store'
import type { Runner } from '../system/runner'
import { diffArgv, listSnapshots, parseDiff, type SnapshotInfo } from '../system/zfs'
import { listPools } from '../system/zpool'
import { parseTabular } from '../system/tabular'
import type { Handlers } from './ipc'
import type { LaunchError, LaunchResult, Launcher, RunHandle } from './privileged'
import { Coalescer, ProgressThrottle, realTimers, type TimerApi } from './throttle'

const DAY_MS = 24 * 60 * 60 * 1000
export const STALL_MS = 5000

type Holders = NonNullable<DriveStatus['busyHolders']>

/** What the coordinator needs from the drive watcher (main/services/drive-watcher.ts). */
export interface WatcherLike {
  on(event: 'driveConnected', listener: (e: { drive: DriveConfig; atStart: boolean }) => void): unknown
  on(event: 'driveRemoved', listener: (e: { drive: DriveConfig }) => void): unknown
  setDrives?(drives: readonly DriveConfig[]): void
  stop(): Promise<void>
}

export type NotifyOutcome = { kind: 'action'; action: 'backup' | 'open' } | { kind: string }

/** What the coordinator needs from the notifier (main/services/notifications.ts). */
export interface NotifierLike {
  driveConnected(drive: string): Promise<NotifyOutcome>
  backupDone(drive: string): Promise<NotifyOutcome>
  failed(drive: string, reason: string): Promise<NotifyOutcome>
  stale(drive: string, days: number): Promise<NotifyOutcome>
  driveRemoved(drive: string): Promise<void>
}

export interface CoordinatorDeps {
  configPath: string
  historyPath: string
  launcher: Launcher
  /** Unprivileged runner for read-only queries (zpool list, zfs list): they work as a normal user. */
  runner: Runner
  /** Starts the drive watcher; `listen` must be called before it reports drives already plugged in. */
  startWatcher?: (drives: readonly DriveConfig[], listen: (w: WatcherLike) => void) => Promise<WatcherLike>
  notifier?: NotifierLike
  openWindow?: () => void
  chooseFolder?: () => Promise<string | null>
  timers?: TimerApi
  /** Verbs the helper can run (main/index.ts passes the helper's dispatch table). */
  availableVerbs: readonly JobVerb[]
  log?: (message: string) => void
}

export interface AppService extends Handlers {
  state(): AppState
  /** Coalesced: at most 10 a second, always ending with the latest state. */
  onChange(listener: (state: AppState) => void): () => void
  /** The helper's events for the window: progress at most 10 a second, nothing else dropped. */
  onRunEvent(listener: (event: RunEvent) => void): () => void
}

export interface Coordinator extends AppService {
  start(): Promise<void>
  dispose(): Promise<void>
  /** For the tray menu: start a backup / eject / scrub on the drive it applies to. */
  backupNow(drive?: string): Promise<Accepted>
  ejectNow(drive?: string): Promise<Accepted>
  scrubNow(drive?: string): Promise<Accepted>
}

interface ActiveRun {
  job: Job
  status: RunStatus
  record: RunRecord | null
  handle: RunHandle | null
  startedAt: number
  firstError: Extract<RunEvent, { type: 'error' }> | null
  lastBytes: number
  stallTimer: unknown
  cancelRequested: boolean
}

const VERB_TITLE: Record<JobVerb, string> = {
  backup: 'Backing up', eject: 'Ejecting', scrub: 'Scrubbing', setup: 'Setting up a drive', adopt: 'Adopting a drive',
  'restore-open': 'Opening a restore', 'restore-close': 'Closing a restore', 'verify-key': 'Checking the passphrase',
}

export function createCoordinator(deps: CoordinatorDeps): Coordinator {
  const timers = deps.timers ?? realTimers
  const log = deps.log ?? ((m: string) => console.warn(m))
  const available = new Set<JobVerb>(deps.availableVerbs)
  const iso = (ms = timers.now()): string => new Date(ms).toISOString()

  let config: Config = emptyConfig()
  let configExists = false
  let history: RunRecord[] = []
  let problems: string[] = []
  let watcher: WatcherLike | null = null
  let run: ActiveRun | null = null
  let lastRun: RunRecord | null = null
  let dailyTimer: unknown = null
  let disposed = false
  const presence = new Map<string, DrivePresence>()
  const holders = new Map<string, Holders>()
  const sourceSnapshots = new Map<string, SnapshotInfo[]>()
  const staleNotifiedAt = new Map<string, number>()
  /** Set while a drive is open for restore (restore-open succeeded, restore-close not yet). */
  let restore: { drive: string; snapshotDir: string } | null = null

  const stateListeners = new Set<(s: AppState) => void>()
  const eventListeners = new Set<(e: RunEvent) => void>()
  const stateOut = new Coalescer<AppState>((s) => stateListeners.forEach((l) => l(s)), 100, timers)
  const eventsOut = new ProgressThrottle((e) => eventListeners.forEach((l) => l(e)), 100, timers)
  const changed = (): void => {
    if (!disposed) stateOut.push(buildState())
  }

  // ---- state ---------------------------------------------------------------------------------------

  function lastSuccessAt(drive: string, verb: 'backup'): string | null {
    const r = history.find((h) => h.verb === verb && h.drive === drive && h.outcome === 'succeeded')
    return r ? (r.finishedAt ?? r.startedAt) : null
  }

  function driveNewest(drive: DriveConfig): string | null {
    for (const h of history) {
      if (h.drive !== drive.name) continue
      const rep = h.replicated?.[0]
      if (rep) return rep.snapshot
    }
    return null
  }

  function canBackUp(d: DriveConfig, p: DrivePresence): { ok: boolean; reason?: string } {
    if (run) return { ok: false, reason: `${VERB_TITLE[run.job.verb]}${run.status.drive ? ` (${run.status.drive})` : ''} is in progress.` }
    if (Object.keys(d.targets).length === 0) return { ok: false, reason: 'This drive backs up no source yet.' }
    if (!watcher) return { ok: true }
    if (p === 'absent') return { ok: false, reason: `Plug in “${d.name}”.` }
    if (p === 'poweredOff') return { ok: false, reason: 'The drive is powered off: unplug it and plug it back in.' }
    return { ok: true }
  }

  function canEject(d: DriveConfig, p: DrivePresence): { ok: boolean; reason?: string } {
    if (run) return { ok: false, reason: `${VERB_TITLE[run.job.verb]} is in progress.` }
    if (p === 'poweredOff') return { ok: false, reason: 'Already safe to unplug.' }
    if (watcher && p === 'absent') return { ok: false, reason: 'The drive is not connected.' }
    return { ok: true }
  }

  function driveStatus(d: DriveConfig): DriveStatus {
    const p = presence.get(d.name) ?? 'absent'
    const lastBackupAt = lastSuccessAt(d.name, 'backup')
    const now = timers.now()
    // A drive never backed up says "never"; "no backup for N days" is for one that fell behind.
    const stale = lastBackupAt !== null && now - Date.parse(lastBackupAt) > config.staleAfterDays * DAY_MS
    const scrubbed = lastScrub(history, d.name)
    const src = Object.keys(d.targets)[0]
    const snaps = src ? sourceSnapshots.get(src) : undefined
    const newestOnDrive = driveNewest(d)
    let missing: number | null = null
    if (snaps && newestOnDrive) {
      const i = snaps.findIndex((s) => s.snapshot === newestOnDrive)
      missing = i < 0 ? null : snaps.length - 1 - i
    } else if (snaps && !newestOnDrive && lastBackupAt === null) missing = snaps.length
    return {
      name: d.name,
      pool: d.pool,
      presence: p,
      lastBackupAt,
      stale,
      staleAfterDays: config.staleAfterDays,
      lastScrub: scrubbed,
      scrubDue: scrubDue(scrubbed, config.scrubEveryDays, now),
      snapshots: { sourceNewest: snaps?.at(-1)?.snapshot ?? null, driveNewest: newestOnDrive, missingOnDrive: missing },
      busyHolders: holders.get(d.name) ?? null,
      canBackUp: canBackUp(d, p),
      canEject: canEject(d, p),
    }
  }

  function buildState(): AppState {
    return {
      configured: configExists && config.drives.length > 0,
      sources: config.sources.map((s) => ({ dataset: s.dataset, allowUnencrypted: s.allowUnencrypted })),
      drives: config.drives.map(driveStatus),
      run: run ? { ...run.status, steps: run.status.steps.map((s) => ({ ...s })) } : null,
      lastRun,
      restore,
      ...(problems.length ? { problems: [...problems] } : {}),
    }
  }

  // ---- runs ----------------------------------------------------------------------------------------

  function findDrive(name: string | undefined, pick: (s: DriveStatus) => boolean): DriveConfig | null {
    if (name) return config.drives.find((d) => d.name === name) ?? null
    return config.drives.find((d) => pick(driveStatus(d))) ?? config.drives[0] ?? null
  }

  function startRun(job: Job, secret?: string): Accepted {
    if (disposed) return { accepted: false, reason: 'The app is quitting.' }
    if (run) return { accepted: false, reason: `${VERB_TITLE[run.job.verb]} is in progress; one run at a time.` }
    if (!available.has(job.verb)) return { accepted: false, reason: `${VERB_TITLE[job.verb]} is not available in this version yet.` }
    const drive = 'drive' in job ? job.drive : 'name' in job ? job.name : null
    const active: ActiveRun = {
      job,
      // Until the helper says run-started (after the password prompt), the run shows the command that asks.
      status: { id: `pending-${randomUUID()}`, verb: job.verb, drive, steps: [], stepIndex: 0, command: [...deps.launcher.command()], progress: null, stalled: false, startedAt: iso(), cancellable: true },
      record: null, handle: null, startedAt: timers.now(), firstError: null, lastBytes: 0, stallTimer: null, cancelRequested: false,
    }
    run = active
    lastRun = null
    try {
      active.handle = deps.launcher.run(job, { ...(secret !== undefined ? { secret } : {}), onEvent: (e) => onEvent(active, e), onProtocolError: (line) => log(`helper wrote a line that is not an event: ${line.slice(0, 200)}`) })
    } catch (err) {
      run = null
      changed()
      return { accepted: false, reason: err instanceof Error ? err.message : String(err) }
    }
    active.handle.done.then(
      (r) => finish(active, r),
      (err: unknown) => finish(active, { exitCode: null, outcome: null, helperRan: false, error: { code: 'helper-crashed', message: String(err) } }),
    )
    changed()
    return { accepted: true }
  }

  function clearStall(a: ActiveRun): void {
    if (a.stallTimer !== null) timers.clearTimeout(a.stallTimer)
    a.stallTimer = null
    a.status.stalled = false
  }

  function setPresence(drive: string | null, p: DrivePresence): void {
    if (drive && config.drives.some((d) => d.name === drive)) presence.set(drive, p)
  }

  function onEvent(a: ActiveRun, e: RunEvent): void {
    if (run !== a) return
    a.record = applyEvent(a.record, e)
    const s = a.status
    switch (e.type) {
      case 'run-started':
        Object.assign(s, { id: e.runId, verb: e.verb, drive: e.drive, steps: e.steps.map((x) => ({ ...x, outcome: 'pending' as const })), stepIndex: 0, command: null, progress: null, startedAt: e.at })
        break
      case 'step-started': {
        const step = s.steps.find((x) => x.id === e.step)
        if (step) step.outcome = 'running'
        s.stepIndex = e.index
        s.command = null
        s.progress = null
        a.lastBytes = 0
        clearStall(a)
        break
      }
      case 'command':
        s.command = e.argv
        break
      case 'progress': {
        const { bytes, totalBytes, bytesPerSecond, etaSeconds } = e
        s.progress = { bytes, totalBytes, bytesPerSecond, etaSeconds }
        // Only moving bytes clear a stall: a repeated count must not make the mark flicker. Before the
        // first byte the receive side is still setting up (seconds under load), so allow it longer.
        if (bytes > a.lastBytes || a.stallTimer === null && !s.stalled) {
          a.lastBytes = Math.max(a.lastBytes, bytes)
          clearStall(a)
          a.stallTimer = timers.setTimeout(() => {
            a.stallTimer = null
            if (run === a) {
              a.status.stalled = true
              changed()
            }
          }, a.lastBytes > 0 ? STALL_MS : 6 * STALL_MS)
        }
        break
      }
      case 'step-finished': {
        const step = s.steps.find((x) => x.id === e.step)
        if (step) step.outcome = e.outcome
        clearStall(a)
        if (e.outcome === 'ok') {
          if (e.step === 'import') setPresence(s.drive, 'imported')
          if (e.step === 'export') {
            setPresence(s.drive, 'exported')
            if (s.drive) holders.delete(s.drive)
          }
          if (e.step === 'power-off') setPresence(s.drive, 'poweredOff')
        }
        break
      }
      case 'error':
        a.firstError ??= e
        if (e.holders && s.drive) holders.set(s.drive, e.holders)
        break
      case 'drive-recorded':
        // The root helper never writes the user's config: the app records the new drive itself.
        void recordDrive(deps.configPath, e.drive as DriveConfig).then(
          async (next) => {
            config = next
            configExists = true
            watcher?.setDrives?.(config.drives)
            presence.set(e.drive.name, 'imported')
            await refreshSnapshots()
            changed()
          },
          (err: unknown) => log(`could not record drive ${e.drive.name} in ${deps.configPath}: ${String(err)}`),
        )
        break
      case 'run-finished':
        clearStall(a)
        s.cancellable = false
        break
    }
    eventsOut.push(e)
    changed()
  }

  async function finish(a: ActiveRun, r: LaunchResult): Promise<void> {
    clearStall(a)
    if (run !== a) return
    let record = a.record
    let wroteHistory = false
    if (!record) {
      // Nothing ran as root: pkexec refused, or the helper rejected the job before any command.
      const error: LaunchError | { code: string; message: string; hint?: string } = r.error ?? (a.firstError ? { code: a.firstError.code, message: a.firstError.message, ...(a.firstError.hint ? { hint: a.firstError.hint } : {}) } : { code: 'helper-crashed', message: 'The helper ended without a result.' })
      if (r.error) eventsOut.push({ type: 'error', code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) })
      record = {
        id: randomUUID(), verb: a.job.verb, drive: a.status.drive, startedAt: a.status.startedAt, finishedAt: iso(), durationMs: timers.now() - a.startedAt, bytes: 0,
        outcome: error.code === 'auth-dismissed' ? 'cancelled' : 'failed', steps: [], warnings: [], replicated: [],
        error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
      }
    } else {
      if (record.outcome === 'running') {
        // The helper died mid-run (it never does on its own; a crash or a kill).
        const message = r.error?.message ?? `The helper stopped mid-run (exit ${r.exitCode ?? 'signal'}).`
        record = { ...record, outcome: a.cancelRequested ? 'cancelled' : 'failed', finishedAt: iso(), error: record.error ?? { code: 'helper-crashed', message } }
      }
      try {
        await appendRun(record, deps.historyPath)
        wroteHistory = true
      } catch (err) {
        log(`could not write history to ${deps.historyPath}: ${String(err)}`)
      }
      history.unshift(record)
    }
    run = null
    lastRun = record
    if (record.outcome === 'succeeded' && record.drive) await noteRestore(record.verb, record.drive)
    const drive = record.drive
    if (drive && deps.notifier) {
      if (record.verb === 'backup' && record.outcome === 'succeeded') void deps.notifier.backupDone(drive).catch(() => undefined)
      else if (record.verb === 'backup' && record.outcome === 'failed' && record.error) {
        void deps.notifier.failed(drive, record.error.message).catch(() => undefined)
      }
    }
    if (wroteHistory) await refreshSnapshots()
    changed()
  }

  async function noteRestore(verb: RunRecord['verb'], name: string): Promise<void> {
    if (verb === 'restore-close' || verb === 'eject') {
      if (restore?.drive === name) restore = null
      return
    }
    if (verb !== 'restore-open') return
    const d = config.drives.find((x) => x.name === name)
    if (!d) return
    try {
      const open = await openTargets(deps.runner, d)
      if (open[0]) restore = { drive: name, snapshotDir: open[0].snapshotDir }
    } catch (err) {
      log(`restore: could not find the opened snapshots of ${name}: ${String(err)}`)
    }
  }

  // ---- drives --------------------------------------------------------------------------------------

  async function refreshImported(): Promise<void> {
    try {
      const pools = await listPools(deps.runner)
      for (const d of config.drives) {
        if (pools.some((p) => p.guid === d.poolGuid)) presence.set(d.name, 'imported')
        else if (presence.get(d.name) === 'imported' && !(run && run.status.drive === d.name)) presence.set(d.name, 'connected')
      }
    } catch (err) {
      log(`zpool list failed: ${String(err)}`)
    }
  }

  async function refreshSnapshots(): Promise<void> {
    for (const s of config.sources) {
      try {
        sourceSnapshots.set(s.dataset, await listSnapshots(deps.runner, s.dataset))
      } catch {
        sourceSnapshots.delete(s.dataset)
      }
    }
  }

  function onConnected(e: { drive: DriveConfig; atStart: boolean }): void {
    const name = e.drive.name
    if (!(run && run.status.drive === name)) presence.set(name, 'connected')
    holders.delete(name)
    changed()
    void refreshImported().then(changed)
    if (run) return
    if (config.autoBackupOnConnect && !e.atStart) {
      const r = startRun({ verb: 'backup', configPath: deps.configPath, drive: name })
      if (!r.accepted) log(`auto-backup of ${name} not started: ${r.reason}`)
      return
    }
    void deps.notifier?.driveConnected(name).then((o) => {
      if (o.kind !== 'action') return
      if ((o as { action: string }).action === 'backup') {
        const r = startRun({ verb: 'backup', configPath: deps.configPath, drive: name })
        if (!r.accepted) {
          log(`backup of ${name} not started: ${r.reason}`)
          deps.openWindow?.()
        }
      } else deps.openWindow?.()
    }, () => undefined)
  }

  function onRemoved(e: { drive: DriveConfig }): void {
    const name = e.drive.name
    // Powering a drive off removes its block devices, which the watcher reports as a removal: the drive
    // stays "powered off, safe to unplug" until it is plugged in again.
    if (presence.get(name) !== 'poweredOff') presence.set(name, 'absent')
    void deps.notifier?.driveRemoved(name).catch(() => undefined)
    changed()
  }

  function checkStale(): void {
    if (!deps.notifier) return
    const now = timers.now()
    for (const d of config.drives) {
      const at = lastSuccessAt(d.name, 'backup')
      if (!at) continue
      const days = Math.floor((now - Date.parse(at)) / DAY_MS)
      if (days <= config.staleAfterDays) continue
      const last = staleNotifiedAt.get(d.name)
      if (last !== undefined && now - last < DAY_MS) continue
      staleNotifiedAt.set(d.name, now)
      void deps.notifier.stale(d.name, days).catch(() => undefined)
    }
  }

  function scheduleDaily(): void {
    dailyTimer = timers.setTimeout(() => {
      checkStale()
      changed()
      scheduleDaily()
    }, DAY_MS)
    ;(dailyTimer as { unref?: () => void } | null)?.unref?.()
  }

  /** The app starts whatever the state of its files; what was wrong is shown in the window. */
  async function loadState(): Promise<void> {
    problems = []
    const note = (message: string): void => {
      log(message)
      problems.push(message)
    }
    try {
      const loaded = await loadConfig(deps.configPath)
      config = loaded.config
      configExists = loaded.exists
    } catch (err) {
      note(err instanceof ConfigError ? `The config could not be loaded: ${err.message.replace(/\s*\n\s*/g, '; ')}` : `The config could not be loaded: ${String(err)}`)
      config = emptyConfig()
      configExists = false
    }
    history = (await readRuns(deps.historyPath, 500, note).catch((err: unknown) => (note(`The history could not be read: ${String(err)}`), []))).filter((r) => RunRecordSchema.safeParse(r).success)
  }

  // ---- handlers ------------------------------------------------------------------------------------

  const unknownDrive = (name: string): Accepted => ({ accepted: false, reason: `No drive named “${name}” is configured.` })
  const job = <V extends JobVerb>(verb: V, rest: Omit<Extract<Job, { verb: V }>, 'verb' | 'configPath'>): Job => ({ verb, configPath: deps.configPath, ...rest }) as unknown as Job

  async function backupNow(name?: string): Promise<Accepted> {
    const d = findDrive(name, (s) => s.canBackUp.ok)
    if (!d) return name ? unknownDrive(name) : { accepted: false, reason: 'No backup drive is configured.' }
    const why = driveStatus(d).canBackUp
    if (!why.ok) return { accepted: false, reason: why.reason ?? 'Cannot back up now.' }
    return startRun(job('backup', { drive: d.name }))
  }

  async function ejectNow(name?: string): Promise<Accepted> {
    const d = findDrive(name, (s) => s.canEject.ok)
    if (!d) return name ? unknownDrive(name) : { accepted: false, reason: 'No backup drive is configured.' }
    const why = driveStatus(d).canEject
    if (!why.ok) return { accepted: false, reason: why.reason ?? 'Cannot eject now.' }
    return startRun(job('eject', { drive: d.name }))
  }

  async function scrubNow(name?: string): Promise<Accepted> {
    const d = findDrive(name, (s) => s.presence !== 'absent' && s.presence !== 'poweredOff')
    if (!d) return name ? unknownDrive(name) : { accepted: false, reason: 'No backup drive is configured.' }
    return startRun(job('scrub', { drive: d.name }))
  }

  const driveJob = (verb: 'restore-close' | 'scrub', name: string): Accepted =>
    config.drives.some((d) => d.name === name) ? startRun(job(verb, { drive: name })) : unknownDrive(name)

  const coordinator: Coordinator = {
    state: buildState,
    onChange(listener) {
      stateListeners.add(listener)
      return () => stateListeners.delete(listener)
    },
    onRunEvent(listener) {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    backupNow,
    ejectNow,
    scrubNow,

    async start() {
      await loadState()
      await refreshImported()
      await refreshSnapshots()
      if (deps.startWatcher && config.drives.length) {
        try {
          watcher = await deps.startWatcher(config.drives, (w) => {
            watcher = w
            w.on('driveConnected', onConnected)
            w.on('driveRemoved', onRemoved)
          })
        } catch (err) {
          watcher = null
          log(`drive watcher unavailable, backups start without plug detection: ${String(err)}`)
        }
      }
      checkStale()
      scheduleDaily()
      changed()
    },

    async dispose() {
      disposed = true
      if (dailyTimer !== null) timers.clearTimeout(dailyTimer)
      run?.handle?.cancel()
      stateOut.dispose()
      eventsOut.dispose()
      await watcher?.stop()
      watcher = null
    },

    'state:get': async () => buildState(),
    'backup:start': ({ drive }) => backupNow(drive),
    'drive:eject': ({ drive }) => ejectNow(drive),
    'scrub:start': async ({ drive }) => driveJob('scrub', drive),
    'run:cancel': async () => {
      if (!run) return { accepted: false, reason: 'Nothing is running.' }
      if (!run.handle || !run.status.cancellable) return { accepted: false, reason: 'The run is already finishing.' }
      run.cancelRequested = true
      run.status.cancellable = false
      run.handle.cancel()
      changed()
      return { accepted: true }
    },
    'history:list': async ({ limit }) => (await readRuns(deps.historyPath, limit ?? 50, log)).flatMap((r) => {
      const p = RunRecordSchema.safeParse(r)
      return p.success ? [p.data] : []
    }),
    'setup:start': async ({ disk, name, confirm }) => {
      if (confirm !== disk.split('/').at(-1) && confirm !== disk) return { accepted: false, reason: 'Type the disk’s name exactly to confirm that it will be erased.' }
      return startRun(job('setup', { disk, name, confirm }))
    },
    'adopt:start': async ({ pool, target, name, failmodeContinue }) => startRun(job('adopt', { pool, target, name, failmodeContinue })),
    'restore:open': async ({ drive, passphrase }) => {
      if (/[\r\n]/.test(passphrase)) return { accepted: false, reason: 'A passphrase cannot contain a line break.' }
      if (!config.drives.some((d) => d.name === drive)) return unknownDrive(drive)
      // The passphrase goes to the helper's stdin in this call and is not kept anywhere.
      return startRun(job('restore-open', { drive }), passphrase)
    },
    'restore:close': async ({ drive }) => driveJob('restore-close', drive),
    // Copying out of the opened snapshot runs as the user: it can only read what the user may read.
    'restore:file': async ({ drive, snapshot, path, to, force }) => {
      const d = config.drives.find((x) => x.name === drive)
      if (!d) return unknownDrive(drive)
      if (restore?.drive !== drive) return { accepted: false, reason: 'Open the backup first (enter its passphrase).' }
      try {
        const r = await restoreFile({ runner: deps.runner, drive: d, snapshot, path, toDir: to, force: force ?? false })
        return { accepted: true, reason: `Restored to ${r.to}` }
      } catch (err) {
        const e = err as { message?: string; hint?: string }
        return { accepted: false, reason: [e.message ?? String(err), e.hint].filter(Boolean).join(' ') }
      }
    },

    'snapshots:list': async ({ drive }) => {
      const d = config.drives.find((x) => x.name === drive)
      if (!d) throw new Error(`No drive named “${drive}” is configured.`)
      const source: { name: string; createdAt: string; guid: string }[] = []
      for (const ds of Object.keys(d.targets)) {
        for (const s of await listSnapshots(deps.runner, ds)) source.push({ name: s.name, createdAt: new Date(s.creation * 1000).toISOString(), guid: s.guid })
      }
      // Readable without root whenever the pool is imported (e.g. while a restore is open).
      if ((await listPools(deps.runner).catch(() => [])).some((p) => p.guid === d.poolGuid)) {
        const onDrive: { name: string; createdAt: string; guid: string }[] = []
        for (const target of Object.values(d.targets)) {
          for (const s of await listSnapshots(deps.runner, target).catch(() => [])) onDrive.push({ name: s.name, createdAt: new Date(s.creation * 1000).toISOString(), guid: s.guid })
        }
        return { source, drive: onDrive }
      }
      const newest = driveNewest(d)
      return { source, drive: null, driveNote: newest ? `The drive held @${newest} after the last backup; reading it needs the drive imported (root).` : 'Reading the drive’s snapshots needs the drive imported (root).' }
    },
    'diff:get': async ({ dataset, from, to }) => {
      const full = (s: string): string => (s.includes('@') ? s : `${dataset}@${s}`)
      const r = await deps.runner.run(diffArgv(full(from), to === dataset ? dataset : full(to)), { allowFailure: true, timeoutMs: 120_000 })
      if (r.exitCode !== 0) {
        throw new Error(/permission denied|must be root|permission/i.test(r.stderr) ? `zfs diff needs the "diff" permission on ${dataset}: sudo zfs allow -u $USER diff,mount ${dataset}` : `zfs diff failed: ${r.stderr.trim().split('\n').at(-1) ?? ''}`)
      }
      return { entries: parseDiff(r.stdout) }
    },
    'disks:list': async () =>
      (await listDiskCandidates(deps.runner, config.drives)).flatMap((c) =>
        c.byId ? [{ byId: c.byId, model: c.model, serial: c.serial, sizeBytes: c.sizeBytes, transport: c.transport, eligible: c.eligible, ...(c.reason ? { reason: c.reason } : {}) }] : [],
      ),
    'doctor:get': async () => doctor(),
    'sources:list': async () => listSources(),
    'sources:set': async ({ datasets, allowUnencrypted }) => {
      const allow = new Set(allowUnencrypted ?? [])
      try {
        const next = { ...config, sources: datasets.map((dataset) => ({ dataset, allowUnencrypted: allow.has(dataset) })) }
        config = await saveConfig(next, deps.configPath)
        configExists = true
        watcher?.setDrives?.(config.drives)
        await refreshSnapshots()
        changed()
        return { accepted: true }
      } catch (err) {
        return { accepted: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
    'folder:choose': async () => (deps.chooseFolder ? deps.chooseFolder() : null),
  }

  async function listSources(): Promise<SourceCandidate[]> {
    const fs = await deps.runner.run(['zfs', 'list', '-Hp', '-o', 'name,encryption,encryptionroot', '-t', 'filesystem'])
    const snaps = await deps.runner.run(['zfs', 'list', '-Hp', '-o', 'name', '-t', 'snapshot'], { allowFailure: true })
    const counts = new Map<string, number>()
    for (const [name] of parseTabular(snaps.stdout)) {
      const ds = name?.split('@')[0]
      if (ds) counts.set(ds, (counts.get(ds) ?? 0) + 1)
    }
    const drivePools = new Set(config.drives.map((d) => d.pool))
    return parseTabular(fs.stdout)
      .filter(([name]) => name && !drivePools.has(name.split('/')[0]!))
      .map(([name, encryption, root]) => ({ dataset: name!, encrypted: !!encryption && encryption !== 'off', encryptionRoot: root && root !== '-' ? root : null, snapshots: counts.get(name!) ?? 0 }))
  }

  async function doctor(): Promise<DoctorCheck[]> {
    const configured: DoctorCheck = { id: 'config', title: 'Configuration', ok: configExists && config.drives.length > 0, severity: 'error', detail: configExists ? `${config.drives.length} drive(s), ${config.sources.length} source(s) in ${deps.configPath}` : `no config at ${deps.configPath} yet` }
    const checks = await runDoctor(deps.runner, config)
    // pkexec may live outside PATH on NixOS (/run/wrappers/bin).
    for (const c of checks) if (c.id === 'pkexec' && !c.ok && which('pkexec', '/run/wrappers/bin')) Object.assign(c, { ok: true, detail: 'found at /run/wrappers/bin/pkexec' })
    return [configured, ...checks]
  }

  return coordinator
}
