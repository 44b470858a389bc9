// The tray app's service, Electron-free: it puts together the parts that each own one concern (what the
// app knows: app-data.ts; where drives are: presence.ts; the one run: run-controller.ts; the daily
// reminder: reminders.ts; read-only questions: query-handlers.ts; a drive card: drive-view.ts) and
// connects the drive watcher and the notifier to them. Everything it needs is injected (main/index.ts
// wires the real ones), so tests drive it with fakes and fake timers.
//
// Event-driven throughout: state changes on watcher events, run events and the user's calls. The only
// timers are one-shots: the "stalled" mark, the outbound rate limits and the daily reminder check.
import type { RunEvent } from '../../shared/events'
import type { RunRecord } from '../../shared/run-record'
import type { Accepted, AppState } from '../../shared/wire'
import { saveConfig } from '../config/load'
import type { DriveConfig } from '../config/schema'
import { driveStatus, importedDrives, lastBackupAt } from '../engine/drive-status'
import { openTargets, restoreFile } from '../engine/restore'
import { recordDrive } from '../engine/setup'
import { autoBackupState, recordAutoBackup } from '../engine/auto-switch'
import type { AutoPaths } from '../engine/auto'
import type { Job, JobVerb } from '../helper/job'
import type { Runner } from '../system/runner'
import { AppData } from './app-data'
import { driveView } from './drive-view'
import type { DesktopChannel, Handlers } from './ipc'
import { reportMissedFailures } from './missed-runs'
import { Presence } from './presence'
import type { Launcher } from './privileged'
import { queryHandlers } from './query-handlers'
import { StaleReminders } from './reminders'
import { KeyReminders } from './key-reminders'
import { guideHandlers } from './guide-handlers'
import { keyCheckStatus } from '../engine/key-check'
import { RunController, runDrive, type ActiveRun } from './run-controller'
import { Coalescer, ProgressThrottle, realTimers, type TimerApi } from './throttle'

export { STALL_MS } from './run-controller'

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
  /** Quiet: the drive's key check is due (main/app/key-reminders.ts). */
  keyCheck?(drive: string, days: number | null): Promise<NotifyOutcome>
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
  /** The backup-on-plug service's live events (main/services/headless-feed.ts); returns a stop function. */
  followHeadless?: (onEvent: (e: RunEvent) => void) => () => void
  /** Whose backup on plug the window shows (this process's user) and where root installs it (tests). */
  uid?: number
  autoPaths?: AutoPaths
}

export interface AppService extends Omit<Handlers, DesktopChannel> {
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

export function createCoordinator(deps: CoordinatorDeps): Coordinator {
  const timers = deps.timers ?? realTimers
  const log = deps.log ?? ((m: string) => console.warn(m))
  const data = new AppData({ configPath: deps.configPath, historyPath: deps.historyPath, runner: deps.runner, log })
  const presence = new Presence((name) => data.drive(name) !== null)
  let watcher: WatcherLike | null = null
  let lastRun: RunRecord | null = null
  let disposed = false
  let stopFeed: (() => void) | null = null
  /** Set while a drive is open for restore (restore-open succeeded, restore-close not yet). */
  let restore: { drive: string; snapshotDir: string } | null = null

  const stateListeners = new Set<(s: AppState) => void>()
  const eventListeners = new Set<(e: RunEvent) => void>()
  const stateOut = new Coalescer<AppState>((s) => stateListeners.forEach((l) => l(s)), 100, timers)
  const eventsOut = new ProgressThrottle((e) => eventListeners.forEach((l) => l(e)), 100, timers)
  const changed = (): void => {
    if (!disposed) stateOut.push(buildState())
  }

  const runs: RunController = new RunController({
    launcher: deps.launcher,
    timers,
    available: new Set(deps.availableVerbs),
    log,
    started: () => (lastRun = null),
    onEvent: onRunEvent,
    persist: (record) => data.addRun(record),
    finished: onRunFinished,
    changed,
  })
  const keyReminders = new KeyReminders({
    notifier: deps.notifier, now: () => timers.now(),
    status: (name) => { const d = data.drive(name); return d ? keyCheckStatus(data.history, name, data.config.keyCheckEveryDays, timers.now()) : undefined },
    connected: (name) => !['absent', 'poweredOff'].includes(presence.of(name)),
  })
  const checkKeys = (): void => keyReminders.check(data.config.drives.map((d) => d.name))
  const reminders = new StaleReminders({ notifier: deps.notifier, timers, config: () => data.config, lastBackupAt: (d) => lastBackupAt(data.history, d), onDay: () => { checkKeys(); changed() } })
  const refreshSnapshots = (): Promise<void> => data.refreshSnapshots((d) => presence.of(d) === 'imported')
  const uid = deps.uid ?? process.getuid?.() ?? 0
  /** The same answer as the CLI's status: on only when the config and root's install agree. */
  const autoOn = (d: DriveConfig) => autoBackupState(d, uid, deps.autoPaths)

  function drive(d: DriveConfig) {
    const p = presence.of(d.name)
    const status = driveStatus(data.config, d, data.history, data.facts(d.name, p === 'imported'), timers.now())
    return driveView({
      drive: d, status, staleAfterDays: data.config.staleAfterDays, presence: p, busyHolders: presence.holdersOf(d.name), busy: runs.busyReason(), watching: watcher !== null,
      autoBackup: autoOn(d), autoSwitchable: deps.availableVerbs.includes('auto'),
    })
  }

  function buildState(): AppState {
    return {
      configured: data.configured,
      sources: data.config.sources.map((s) => ({ dataset: s.dataset, allowUnencrypted: s.allowUnencrypted, snapshotBeforeBackup: s.snapshotBeforeBackup })),
      drives: data.config.drives.map(drive),
      run: runs.status(),
      lastRun,
      restore,
      ...(data.problems.length ? { problems: [...data.problems] } : {}),
    }
  }

  // ---- a run's events and its end --------------------------------------------------------------------

  function onRunEvent(e: RunEvent, run: ActiveRun): void {
    presence.onRunEvent(runDrive(run), e)
    // The root helper never writes the user's config: the app records the new drive itself.
    if (e.type === 'drive-recorded') {
      void recordDrive(deps.configPath, e.drive as DriveConfig).then(
        async (next) => {
          data.setConfig(next)
          watcher?.setDrives?.(next.drives)
          presence.set(e.drive.name, 'imported')
          await refreshSnapshots()
          changed()
        },
        (err: unknown) => log(`could not record drive ${e.drive.name} in ${deps.configPath}: ${String(err)}`),
      )
    }
    // Root installed or removed backup on plug; "autoBackup" in the config is the user's to write.
    if (e.type === 'auto-backup') {
      void recordAutoBackup(deps.configPath, e.drive, e.on).then(
        (next) => {
          data.setConfig(next)
          watcher?.setDrives?.(next.drives)
          changed()
        },
        (err: unknown) => log(`could not record autoBackup of ${e.drive} in ${deps.configPath}: ${String(err)}`),
      )
    }
    eventsOut.push(e)
  }

  async function onRunFinished(record: RunRecord, written: boolean): Promise<void> {
    lastRun = record
    // The backup-on-plug service writes its run's history and tells the desktop itself.
    if (record.headless) {
      data.history.unshift(record)
      await refreshSnapshots()
      return changed()
    }
    if (record.outcome === 'succeeded' && record.drive) await noteRestore(record.verb, record.drive)
    const name = record.drive
    if (name && deps.notifier && record.verb === 'backup') {
      if (record.outcome === 'succeeded') void deps.notifier.backupDone(name).catch(() => undefined)
      else if (record.outcome === 'failed' && record.error) void deps.notifier.failed(name, record.error.message).catch(() => undefined)
    }
    if (written) await refreshSnapshots()
    changed()
  }

  async function noteRestore(verb: RunRecord['verb'], name: string): Promise<void> {
    if (verb === 'restore-close' || verb === 'eject') {
      if (restore?.drive === name) restore = null
      return
    }
    const d = verb === 'restore-open' ? data.drive(name) : null
    if (!d) return
    try {
      const open = await openTargets(deps.runner, d)
      if (open[0]) restore = { drive: name, snapshotDir: open[0].snapshotDir }
    } catch (err) {
      log(`restore: could not find the opened snapshots of ${name}: ${String(err)}`)
    }
  }

  /** A backup on plug that failed with nobody to tell: said now, once (main/app/missed-runs.ts). */
  async function reportMissed(): Promise<void> {
    try {
      const told = await reportMissedFailures(data.history, deps.historyPath, (r) => {
        if (r.drive) void deps.notifier?.failed(r.drive, `While you were away: ${r.error?.message ?? 'the backup on plug failed.'}`).catch(() => undefined)
      })
      if (told[0]) lastRun = told[0]
    } catch (err) {
      log(`could not report missed runs: ${String(err)}`)
    }
  }

  // ---- the drive watcher -------------------------------------------------------------------------------

  async function refreshImported(): Promise<void> {
    try {
      const names = data.config.drives.map((d) => d.name)
      presence.imported(names, await importedDrives(deps.runner, data.config.drives), (runs.current ? runDrive(runs.current) : null) ?? null)
    } catch (err) {
      log(`zpool list failed: ${String(err)}`)
    }
  }

  const backupJob = (drive: string): Job => ({ verb: 'backup', configPath: deps.configPath, drive })

  function onConnected(e: { drive: DriveConfig; atStart: boolean }): void {
    const name = e.drive.name
    presence.connected(name, (runs.current ? runDrive(runs.current) : null) === name)
    keyReminders.check([name])
    changed()
    void refreshImported().then(changed)
    if (runs.current) return
    // The backup-on-plug service (auto enable) has this plug: a second run would only lose the lock race.
    if (autoOn(e.drive).on) return log(`${name} connected: backed up by the backup-on-plug service`)
    if (data.config.autoBackupOnConnect && !e.atStart) {
      const r = runs.start(backupJob(name))
      if (!r.accepted) log(`auto-backup of ${name} not started: ${r.reason}`)
      return
    }
    void deps.notifier?.driveConnected(name).then((o) => {
      if (o.kind !== 'action') return
      if ((o as { action: string }).action !== 'backup') return deps.openWindow?.()
      const r = runs.start(backupJob(name))
      if (!r.accepted) {
        log(`backup of ${name} not started: ${r.reason}`)
        deps.openWindow?.()
      }
    }, () => undefined)
  }

  function onRemoved(e: { drive: DriveConfig }): void {
    presence.removed(e.drive.name)
    void deps.notifier?.driveRemoved(e.drive.name).catch(() => undefined)
    changed()
  }

  async function startWatcher(): Promise<void> {
    if (!deps.startWatcher || !data.config.drives.length) return
    try {
      watcher = await deps.startWatcher(data.config.drives, (w) => {
        watcher = w
        w.on('driveConnected', onConnected)
        w.on('driveRemoved', onRemoved)
      })
    } catch (err) {
      watcher = null
      log(`drive watcher unavailable, backups start without plug detection: ${String(err)}`)
    }
  }

  // ---- actions -----------------------------------------------------------------------------------------

  const unknownDrive = (name: string): Accepted => ({ accepted: false, reason: `No drive named “${name}” is configured.` })
  const job = <V extends JobVerb>(verb: V, rest: Omit<Extract<Job, { verb: V }>, 'verb' | 'configPath'>): Job => ({ verb, configPath: deps.configPath, ...rest }) as unknown as Job

  /** The named drive, or (from the tray, without a name) the first one the action applies to. */
  function pick(name: string | undefined, applies: (d: DriveConfig) => boolean): DriveConfig | Accepted {
    const d = name ? data.drive(name) : (data.config.drives.find(applies) ?? data.config.drives[0] ?? null)
    return d ?? (name ? unknownDrive(name) : { accepted: false, reason: 'No backup drive is configured.' })
  }

  async function backupNow(name?: string): Promise<Accepted> {
    const d = pick(name, (x) => drive(x).canBackUp.ok)
    if ('accepted' in d) return d
    const why = drive(d).canBackUp
    return why.ok ? runs.start(job('backup', { drive: d.name })) : { accepted: false, reason: why.reason ?? 'Cannot back up now.' }
  }

  async function ejectNow(name?: string): Promise<Accepted> {
    const d = pick(name, (x) => drive(x).canEject.ok)
    if ('accepted' in d) return d
    const why = drive(d).canEject
    return why.ok ? runs.start(job('eject', { drive: d.name })) : { accepted: false, reason: why.reason ?? 'Cannot eject now.' }
  }

  async function scrubNow(name?: string): Promise<Accepted> {
    const d = pick(name, (x) => !['absent', 'poweredOff'].includes(presence.of(x.name)))
    return 'accepted' in d ? d : runs.start(job('scrub', { drive: d.name }))
  }

  const driveJob = (verb: 'restore-close' | 'scrub', name: string): Accepted => (data.drive(name) ? runs.start(job(verb, { drive: name })) : unknownDrive(name))

  return {
    ...queryHandlers({ runner: deps.runner, data, configPath: deps.configPath, historyPath: deps.historyPath, log }),
    ...guideHandlers({ runner: deps.runner, data, configPath: deps.configPath, start: (j, secret) => runs.start(j, secret), changed }),
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
      await data.load()
      await refreshImported()
      await refreshSnapshots()
      await startWatcher()
      reminders.start()
      checkKeys()
      await reportMissed()
      stopFeed = deps.followHeadless?.((e) => runs.follow(e)) ?? null
      changed()
    },

    async dispose() {
      disposed = true
      stopFeed?.()
      reminders.dispose()
      runs.dispose()
      stateOut.dispose()
      eventsOut.dispose()
      await watcher?.stop()
      watcher = null
    },

    'state:get': async () => buildState(),
    'backup:start': ({ drive }) => backupNow(drive),
    'drive:eject': ({ drive }) => ejectNow(drive),
    'scrub:start': async ({ drive }) => driveJob('scrub', drive),
    'run:cancel': async () => runs.cancel(),
    'setup:start': async ({ disk, name, confirm }) => {
      if (confirm !== disk.split('/').at(-1) && confirm !== disk) return { accepted: false, reason: 'Type the disk’s name exactly to confirm that it will be erased.' }
      return runs.start(job('setup', { disk, name, confirm }))
    },
    'adopt:start': async ({ pool, target, name, failmodeContinue }) => runs.start(job('adopt', { pool, target, name, failmodeContinue })),
    'restore:open': async ({ drive, passphrase }) => {
      if (/[\r\n]/.test(passphrase)) return { accepted: false, reason: 'A passphrase cannot contain a line break.' }
      if (!data.drive(drive)) return unknownDrive(drive)
      // The passphrase goes to the helper's stdin in this call and is not kept anywhere.
      return runs.start(job('restore-open', { drive }), passphrase)
    },
    'restore:close': async ({ drive }) => driveJob('restore-close', drive),
    // The window's switch: the helper runs the same pipeline as `auto enable|disable` (one password prompt).
    'auto:set': async ({ drive: name, enabled }) => {
      const d = data.drive(name)
      if (!d) return unknownDrive(name)
      const why = drive(d).autoBackup?.canChange
      if (why && !why.ok) return { accepted: false, reason: why.reason ?? 'Backup on plug cannot be switched now.' }
      return runs.start(job('auto', { drive: name, on: enabled }))
    },
    // Copying out of the opened snapshot runs as the user: it can only read what the user may read.
    'restore:file': async ({ drive, snapshot, path, to, force }) => {
      const d = data.drive(drive)
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
    'sources:set': async ({ datasets, allowUnencrypted }) => {
      const allow = new Set(allowUnencrypted ?? [])
      try {
        data.setConfig(await saveConfig({ ...data.config, sources: datasets.map((dataset) => ({ ...data.config.sources.find((s) => s.dataset === dataset), dataset, allowUnencrypted: allow.has(dataset) })) }, deps.configPath))
        watcher?.setDrives?.(data.config.drives)
        await refreshSnapshots()
        changed()
        return { accepted: true }
      } catch (err) {
        return { accepted: false, reason: err instanceof Error ? err.message : String(err) }
      }
    },
    'folder:choose': async () => (deps.chooseFolder ? deps.chooseFolder() : null),
  }
}
