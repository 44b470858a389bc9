// What the helper does for each verb: THE one table to extend when an engine pipeline lands. A verb whose
// entry is null is refused with "not available yet" before any command runs, and the app greys it out
// (availableVerbs) instead of asking for a password for nothing.
import type { Config, DriveConfig } from '../config/schema'
import { adopt } from '../engine/adopt'
import { setup } from '../engine/setup'
import { backup } from '../engine/backup'
import { eject } from '../engine/eject'
import { restoreClose, restoreOpen } from '../engine/restore'
import { scrub } from '../engine/scrub'
import { verifyKey } from '../engine/verify-key'
import { switchAutoBackup, type ServiceCommand } from '../engine/auto-switch'
import type { AutoPaths } from '../engine/auto'
import type { Emit } from '../../shared/events'
import type { Outcome } from '../engine/pipeline'
import type { Runner } from '../system/runner'
import { withSleepHeld, type HoldSleep } from '../engine/sleep'
import type { Job, JobVerb } from './job'
import { guideDispatch } from './guide-verbs'

export interface HelperContext<J extends Job = Job> {
  job: J
  /** Loaded and validated by the helper itself, from job.configPath. */
  config: Config
  /** The passphrase (second stdin line) for the verbs in SECRET_VERBS; null otherwise. Never emitted. */
  secret: string | null
  /** The pkexec user's group (an open restore is readable by them only); null when root ran the helper. */
  invokingGid?: number | null
  runner: Runner
  emit: Emit
  /** Aborted when stdin closes (the app cancelled or went away) or on SIGTERM/SIGINT/SIGHUP. */
  signal: AbortSignal
  lockPath?: string
  /** Who root acts for (PKEXEC_UID, SUDO_UID): delegation is always theirs. */
  invokingUid?: number
  /** Holds sleep off while a run writes to the drive (main/engine/sleep.ts); absent in tests. */
  holdSleep?: HoldSleep
  /** Who asked (pkexec's user; 0 when root ran the helper) and their history file, for backup on plug. */
  invoker?: { uid: number; historyPath: string }
  /** What the backup-on-plug service runs (the CLI next to the helper) and where its files go (tests). */
  auto?: { service: ServiceCommand; paths?: AutoPaths; nixosMarker?: string; systemctl?: string }
}

export type VerbHandler<V extends JobVerb> = (ctx: HelperContext<Extract<Job, { verb: V }>>) => Promise<Outcome>

export type DispatchTable = { [V in JobVerb]: VerbHandler<V> | null }

const recorded = (c: HelperContext) => async (drive: DriveConfig): Promise<void> => c.emit({ type: 'drive-recorded', drive })

const lock = (c: HelperContext): { lockPath?: string } => (c.lockPath ? { lockPath: c.lockPath } : {})

export const dispatch: DispatchTable = {
  backup: (c) =>
    withSleepHeld(c.job.dryRun ? undefined : c.holdSleep, `Backing up to ${c.job.drive}`, () => backup({
      config: c.job.powerOff === false ? { ...c.config, afterBackup: { ...c.config.afterBackup, powerOff: false } } : c.config,
      driveName: c.job.drive,
      runner: c.runner,
      emit: c.emit,
      signal: c.signal,
      dryRun: c.job.dryRun ?? false,
      pruneFirst: c.job.pruneFirst ?? false,
      ...(c.job.discard ? { discard: c.job.discard } : {}),
      ...lock(c),
    })),
  eject: (c) => eject({ config: c.config, driveName: c.job.drive, runner: c.runner, emit: c.emit, signal: c.signal, powerOff: c.job.powerOff ?? true, ...lock(c) }),
  // The tray shows a scrub's progress to its end; closing stdin stops following it (the engine decides
  // whether the scrub itself goes on).
  scrub: (c) => withSleepHeld(c.holdSleep, `Scrubbing ${c.job.drive}`, () => scrub({ config: c.config, driveName: c.job.drive, wait: true, runner: c.runner, emit: c.emit, signal: c.signal, ...lock(c) })),
  'restore-open': (c) => restoreOpen({ config: c.config, driveName: c.job.drive, passphrase: c.secret!, ...(c.invokingGid ? { viewerGid: c.invokingGid } : {}), runner: c.runner, emit: c.emit, signal: c.signal, ...lock(c) }),
  'restore-close': (c) => restoreClose({ config: c.config, driveName: c.job.drive, runner: c.runner, emit: c.emit, signal: c.signal, ...lock(c) }),
  'verify-key': (c) => verifyKey({ config: c.config, driveName: c.job.drive, passphrase: c.secret!, runner: c.runner, emit: c.emit, signal: c.signal, ...lock(c) }),
  // setup and adopt record a new drive in the user's config. The helper must not write that file as root:
  // it reports the drive in a drive-recorded event and the app (as the user) saves it.
  setup: (c) =>
    withSleepHeld(c.holdSleep, `Setting up ${c.job.name}`, () => setup({ config: c.config, disk: c.job.disk, name: c.job.name, confirm: c.job.confirm, runner: c.runner, emit: c.emit, signal: c.signal, onRecorded: recorded(c), ...lock(c) })),
  adopt: (c) =>
    adopt({ config: c.config, pool: c.job.pool, target: c.job.target, name: c.job.name, failmodeContinue: c.job.failmodeContinue ?? false, runner: c.runner, emit: c.emit, signal: c.signal, onRecorded: recorded(c), ...lock(c) }),
  // The same pipeline as the CLI's auto enable|disable. The user's config gets "autoBackup" from the app,
  // which records the auto-backup event as the user (root never writes that file).
  auto: async (c) => {
    if (!c.auto || !c.invoker) throw new Error('the helper was started without the backup-on-plug service command')
    const { service, ...where } = c.auto
    return switchAutoBackup({ config: c.config, driveName: c.job.drive, on: c.job.on, owner: { uid: c.invoker.uid, configPath: c.job.configPath, historyPath: c.invoker.historyPath }, service, ...where, runner: c.runner, emit: c.emit, signal: c.signal })
  },
  ...guideDispatch,
}

export function availableVerbs(table: DispatchTable = dispatch): JobVerb[] {
  return (Object.keys(table) as JobVerb[]).filter((v) => table[v] !== null)
}
