// The backup-on-plug service's run (`zfs-drive-backup auto run <uid>-<guid>`, started by udev through
// systemd as root): find the user and drive the instance names, read that user's config, back up with
// sleep held off, log to the journal (stdout), then drop root to record the run in the user's history and
// tell their desktop session, if one is open.
import { randomUUID } from 'node:crypto'
import { chownSync, closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { sessionBus } from 'dbus-next'
import type { Config, DriveConfig } from '../config/schema'
import { AutoInstance, readInstance, type AutoPaths } from '../engine/auto'
import { backup } from '../engine/backup'
import { EngineError } from '../engine/errors'
import type { RunEvent } from '../../shared/events'
import { readOwnedConfig } from '../config/owned'
import { applyEvent, type RunRecord } from '../../shared/run-record'
import { appendRun } from '../history/store'
import { withSleepHeld, type HoldSleep } from '../engine/sleep'
import { FEED_DIR, feedPath } from '../services/headless-feed'
import { Notifier } from '../services/notifications'
import { lookupUser, type UserEntry } from '../system/passwd'
import type { Runner } from '../system/runner'
import { dropPrivileges } from './invoker'
import { runWithEvents } from './run-events'
import { EXIT, type Io } from './command'


export interface HeadlessDeps {
  runner: Runner
  holdSleep?: HoldSleep
  paths?: AutoPaths
  lockPath?: string
  /** Tells the user's desktop; resolves true if a notification was shown. */
  notify?: (user: UserEntry, drive: string, failedReason: string | null) => Promise<boolean>
  readConfig?: (path: string, uid: number) => Promise<Config>
  drop?: (user: UserEntry) => void
  liveFeed?: (uid: number) => ((e: RunEvent) => void) | null
}

export async function runHeadless(instanceArg: string | undefined, io: Io, signal: AbortSignal, deps: HeadlessDeps): Promise<number> {
  const parsed = AutoInstance.safeParse(instanceArg ?? '')
  if (!parsed.success) {
    io.err('auto run needs the service instance, <uid>-<pool GUID> (it is what systemd starts; people use auto enable)\n')
    return EXIT.usage
  }
  const inst = await readInstance(parsed.data, deps.paths)
  const user = await lookupUser(deps.runner, inst.uid)
  if (!user) throw new EngineError('user-unknown', `No user has uid ${inst.uid}; disable this rule with: sudo zfs-drive-backup auto disable --drive ${JSON.stringify(inst.drive)}`)
  let config: Config
  let drive: DriveConfig
  try {
    config = await (deps.readConfig ?? readOwnedConfig)(inst.configPath, inst.uid)
    const found = config.drives.find((d) => d.poolGuid === inst.poolGuid)
    if (!found) throw new EngineError('drive-unknown', `${inst.configPath} has no drive with pool GUID ${inst.poolGuid} any more.`, 'Disable backup on plug for it: sudo zfs-drive-backup auto disable --drive NAME')
    drive = found
  } catch (err) {
    // The drive was plugged in and nothing was backed up: the user hears of it like any failed run (now,
    // or at the next app start), not only the journal.
    const error = err instanceof Error ? { code: (err as { code?: unknown }).code, message: err.message, hint: (err as { hint?: unknown }).hint } : { code: undefined, message: String(err), hint: undefined }
    io.err(`✗ ${error.message}\n`)
    await finishAsUser(user, inst.drive, failedBeforeStart(inst.drive, error), inst.historyPath, io, deps)
    return error.code === 'drive-unknown' || error.code === 'config-invalid' ? EXIT.usage : EXIT.failed
  }
  if (!drive.autoBackup) {
    io.out(`Backup on plug is off for “${drive.name}” in ${inst.configPath} (autoBackup: false); nothing to do.\n`)
    return EXIT.ok
  }
  io.out(`${drive.name} plugged in: backing up for ${user.name} (config ${inst.configPath})\n`)

  let record: RunRecord | null = null
  let busy = false
  const live = (deps.liveFeed ?? openLiveFeed)(user.uid)
  const code = await withSleepHeld(deps.holdSleep, `Backing up to ${drive.name}`, () =>
    runWithEvents(io, false, null, (emit) => backup({ config, driveName: drive.name, runner: deps.runner, emit, signal, ...(deps.lockPath ? { lockPath: deps.lockPath } : {}) }), (e) => {
      record = applyEvent(record, e)
      if (e.type === 'error' && e.code === 'busy-another-run') busy = true
      live?.(e)
    }),
  )
  // Another run holds the lock (the tray app got there first, or the drive's last run is still going):
  // that run owns this plug and records itself.
  if (busy) {
    io.out('Another run has the drive; this one leaves it alone.\n')
    return EXIT.busy
  }
  await finishAsUser(user, drive.name, record, inst.historyPath, io, deps)
  return code
}

/** The record of a headless run that failed before its backup could start (config unreadable, drive gone). */
function failedBeforeStart(drive: string, e: { code: unknown; message: string; hint: unknown }): RunRecord {
  const at = new Date().toISOString()
  return {
    id: randomUUID(), verb: 'backup', drive, startedAt: at, finishedAt: at, outcome: 'failed', durationMs: 0, bytes: 0, steps: [], warnings: [], replicated: [],
    error: { code: typeof e.code === 'string' ? e.code : 'headless-failed', message: e.message, ...(typeof e.hint === 'string' ? { hint: e.hint } : {}) },
  }
}

async function finishAsUser(user: UserEntry, driveName: string, record: RunRecord | null, historyPath: string, io: Io, deps: HeadlessDeps): Promise<void> {
  if (!record) return
  const rec: RunRecord = record
  ;(deps.drop ?? dropPrivileges)(user)
  const failedReason = rec.outcome === 'succeeded' ? null : (rec.error?.message ?? (rec.outcome === 'cancelled' ? 'The backup was cancelled.' : 'See the journal.'))
  let notified = false
  try {
    notified = await (deps.notify ?? notifySession)(user, driveName, failedReason)
  } catch (err) {
    io.err(`! could not notify ${user.name}'s desktop: ${String(err)}\n`)
  }
  try {
    await appendRun({ ...rec, headless: true, notified }, historyPath)
  } catch (err) {
    io.err(`! could not write ${historyPath}: ${String(err)}\n`)
  }
}

/** The user's session bus, if they are logged in; its notification server shows done or failed. */
async function notifySession(user: UserEntry, drive: string, failedReason: string | null): Promise<boolean> {
  const socket = `/run/user/${user.uid}/bus`
  if (!existsSync(socket)) return false
  const n = await Notifier.start({ bus: () => sessionBus({ busAddress: `unix:path=${socket}` }), desktopEntry: 'zfs-drive-backup' })
  try {
    return await n.deliverRunResult(drive, failedReason)
  } finally {
    await n.stop()
  }
}

function openLiveFeed(uid: number): ((e: RunEvent) => void) | null {
  try {
    mkdirSync(FEED_DIR, { recursive: true, mode: 0o755 })
    const fd = openSync(feedPath(uid), 'w', 0o600)
    chownSync(feedPath(uid), uid, -1)
    return (e) => {
      try {
        writeSync(fd, JSON.stringify(e) + '\n')
        if (e.type === 'run-finished') closeSync(fd)
      } catch {
        // the feed is a courtesy to a watching tray app; the journal has everything
      }
    }
  } catch {
    return null
  }
}
