// What the helper does for each verb: THE one table to extend when an engine pipeline lands. A verb whose
// entry is null is refused with "not available yet" before any command runs, and the app greys it out
// (availableVerbs) instead of asking for a password for nothing.
import type { Config } from '../config/schema'
import { backup } from '../engine/backup'
import { eject } from '../engine/eject'
import type { Emit } from '../engine/events'
import type { Outcome } from '../engine/pipeline'
import type { Runner } from '../system/runner'
import type { Job, JobVerb } from './job'

export interface HelperContext<J extends Job = Job> {
  job: J
  /** Loaded and validated by the helper itself, from job.configPath. */
  config: Config
  /** The passphrase (second stdin line) for the verbs in SECRET_VERBS; null otherwise. Never emitted. */
  secret: string | null
  runner: Runner
  emit: Emit
  /** Aborted when stdin closes (the app cancelled or went away) or on SIGTERM/SIGINT/SIGHUP. */
  signal: AbortSignal
  lockPath?: string
}

export type VerbHandler<V extends JobVerb> = (ctx: HelperContext<Extract<Job, { verb: V }>>) => Promise<Outcome>

export type DispatchTable = { [V in JobVerb]: VerbHandler<V> | null }

const lock = (c: HelperContext): { lockPath?: string } => (c.lockPath ? { lockPath: c.lockPath } : {})

export const dispatch: DispatchTable = {
  backup: (c) =>
    backup({
      config: c.job.powerOff === false ? { ...c.config, afterBackup: { ...c.config.afterBackup, powerOff: false } } : c.config,
      driveName: c.job.drive,
      runner: c.runner,
      emit: c.emit,
      signal: c.signal,
      dryRun: c.job.dryRun ?? false,
      ...lock(c),
    }),
  eject: (c) => eject({ config: c.config, driveName: c.job.drive, runner: c.runner, emit: c.emit, signal: c.signal, powerOff: c.job.powerOff ?? true, ...lock(c) }),
  // Issue 4's pipelines (main/engine/{scrub,setup,adopt,restore,verify-key}.ts) plug in here, e.g.
  //   scrub: (c) => scrub({ config: c.config, driveName: c.job.drive, runner: c.runner, emit: c.emit, signal: c.signal, ...lock(c) }),
  //   'restore-open': (c) => restoreOpen({ ..., passphrase: c.secret! }),
  // setup/adopt must not write the user's config as root: they report the new drive in events and the app saves it.
  scrub: null,
  setup: null,
  adopt: null,
  'restore-open': null,
  'restore-close': null,
  'verify-key': null,
}

export function availableVerbs(table: DispatchTable = dispatch): JobVerb[] {
  return (Object.keys(table) as JobVerb[]).filter((v) => table[v] !== null)
}
