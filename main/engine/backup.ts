// The guide's `backupToExternalDrive` as steps: preflight, import by GUID, plan, raw replication (the
// app's own `zfs send | zfs receive`, or syncoid when configured), pruning, verification, export and
// power-off.
import type { DriveRunOptions } from './pipeline'
import type { Config, DriveConfig } from '../config/schema'
import { powerOffArgv } from '../system/udisksctl'
import { syncoidVersion } from '../system/syncoid'
import { getManyProperties } from '../system/zfs'
import { kernelModuleVersion, zfsHasRawSendFix } from '../system/zpool'
import { unwrapDieWithParent } from '../system/setpriv'
import type { Runner } from '../system/runner'
import { devices } from '../system/devices'
import { watchDisk, type DriveWatch } from './drive-watch'
import { EngineError } from './errors'
import { exportStep } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step, type StepContext } from './pipeline'
import { estimatePlan, readSides, resolvePlan, type ReplicationPlan } from './plan'
import { importDrivePool, powerOffDrive, type DrivePool } from './pool'
import { keepBases } from './keep-base'
import { readChanges, recordVerified, unchangedPlans, type ChangeReading } from './noop'
import { pruneDrive } from './prune-drive'
import { settleResume } from './resume'
import { beforeSending, checkRoomDryRun, withPruneOffer } from './make-room'
import { DriveFullError } from './transfer-failure'
import { describeRetention } from './retention'
import { defaultVerifiedStatePath, markPulled, readVerified, tellOnce } from './verified-state'
import { listingsAfter, replicateNative, replicateSyncoid, verifyTargets, type AfterListing } from './replicate'
import { missingTools } from './tools'
import { withSnapshotNow } from './snapshot-now-steps'
import { pickDrive, requireRoot } from './preflight'

export interface BackupState {
  config: Config
  drive: DriveConfig
  pairs: { source: string; target: string }[]
  lock: Lock | null
  plans: ReplicationPlan[]
  /** Snapshots on both sides once the transfer is done, by target; prune keeps it current. */
  after: Map<string, AfterListing>
  lockPath?: string
  /** Show what would happen: the pool is imported read-only, nothing is sent, destroyed or powered off. */
  dryRun: boolean
  importedByUs: boolean
  /** A run that failed before reaching the pool leaves it as it found it. */
  importAttempted: boolean
  /** The drive's pool once imported and checked (by GUID): address it as pool.name. Null until then, and when refused. */
  pool: DrivePool | null
  /** Where the last verified run of each drive is recorded (verified-state.ts). */
  statePath?: string
  /** snapshots_changed of every dataset, read before anything was listed. */
  atPlan: ChangeReading | null
  /** What verify read of every dataset (snapshots_changed too) after this run's receive and prune. */
  atVerify?: ChangeReading | null
  /** Nothing changed since the last verified run: no listing, nothing sent or pruned. */
  unchanged: boolean
  /** --prune-first: the retention's removals happen before the transfer (to make room), not after. */
  pruneFirst: boolean
  /** --discard-from-drive: snapshot names confirmed for discarding (the laptop moved on). */
  discard?: string[]
  /** Watches the pool's disk from import to power-off: a pulled cable fails the run at once. */
  watch?: DriveWatch
  /** The drive was pulled during the run: its pool is left imported, never exported. */
  pulled?: boolean
}

/** The drive went mid-run: fail the run at once, and have the next one take the pool back. */
function pulledMidRun(ctx: StepContext, s: BackupState): void {
  if (s.pulled) return
  s.pulled = true
  markPulled(s.statePath ?? defaultVerifiedStatePath(), s.drive.poolGuid, true)
  ctx.fail(disconnectedError(s.drive))
}

/** How long a failing step on a watched drive waits for udev to say whether the disk went. */
const PULL_GRACE_MS = 3000

/**
 * A command on the drive can fail a moment before udev removes the disk's link (a pulled drive's
 * `zfs destroy` says "could not find any snapshots to destroy"): a step that failed on a watched drive
 * gives the link that moment, and a drive that went fails the run as the watch would have made it.
 */
async function pulledMeanwhile(ctx: StepContext, s: BackupState): Promise<boolean> {
  if (!s.watch || (ctx.signal.aborted && !s.pulled)) return s.pulled ?? false
  const disk = s.pool?.disk ?? s.drive.disk
  for (let waited = 0; !s.pulled && waited <= PULL_GRACE_MS; waited += 100) {
    if (!devices.present(disk)) pulledMidRun(ctx, s)
    else await new Promise((r) => setTimeout(r, 100))
  }
  return s.pulled ?? false
}

/** A step's work on the watched drive: when it fails, the drive's going first gets its say (pulledMeanwhile). */
async function onDrive<T>(ctx: StepContext, s: BackupState, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    await pulledMeanwhile(ctx, s)
    throw err
  }
}

/** What a run says when its drive went while it wrote to it. */
export function disconnectedError(drive: DriveConfig): EngineError {
  return new EngineError(
    'drive-disconnected',
    `Drive "${drive.name}" was disconnected during the backup.`,
    'Plug it back in and back up again: ZFS takes the drive back (zpool clear) and the transfer continues where it stopped. Until then its pool stays imported and idle; nothing on this machine waits for it.',
  )
}

const preflight: Step<BackupState> = {
  id: 'preflight',
  title: 'Check tools and sources',
  async run(ctx, s) {
    requireRoot('Backing up imports and exports a pool', 'Run it with sudo or doas (as the guide does), or use the tray app, which asks for your password.')
    s.lock = acquireLock(s.lockPath, `backup to ${s.drive.name}`)
    const syncoid = s.config.replication.engine === 'syncoid'
    const missing = missingTools(['zpool', 'zfs', 'udisksctl', ...(syncoid ? ['syncoid'] : [])])
    if (missing.length) throw new EngineError('tool-missing', `Not installed: ${missing.join(', ')}.`, `Install OpenZFS${syncoid ? ', sanoid (for syncoid)' : ''} and udisks2.`)
    if (syncoid) {
      if (missingTools(['pv']).length) ctx.warn('pv-missing', 'pv is not installed: the backup runs, but without byte progress.')
      const check = await syncoidVersion(ctx.runner)
      if (!check.ok) throw new EngineError('syncoid-too-old', check.problem ?? `syncoid ${check.version ?? '(unknown version)'} is too old.`, 'Install sanoid/syncoid 2.2.0 or newer.')
    }
    // The loaded module's version, from sysfs: no process (`zfs version` would start one).
    const kernel = kernelModuleVersion()
    if (kernel && !zfsHasRawSendFix(kernel)) {
      ctx.warn('zfs-raw-send-bug', `OpenZFS ${kernel} predates the fix for raw-send snapshot corruption (openzfs/zfs#12014); upgrade to 2.2.8 / 2.3.3 or later.`)
    }
    const props = await getManyProperties(ctx.runner, s.pairs.map((p) => p.source), ['encryption'])
    for (const { source } of s.pairs) {
      const p = props.get(source)
      if (!p) throw new EngineError('source-missing', `The source dataset ${source} does not exist.`)
      const allowed = s.config.sources.find((x) => x.dataset === source)?.allowUnencrypted ?? false
      if (!p.encrypted && !allowed) {
        throw new EngineError('source-unencrypted', `${source} is not encrypted, so its copy on the drive would be readable by anyone who finds the drive.`, 'Back up an encrypted dataset, or set allowUnencrypted for this source if that is what you want.')
      }
      if (!p.encrypted) ctx.warn('source-unencrypted', `${source} is not encrypted: the drive will hold a plain copy.`)
    }
  },
}

const importPool: Step<BackupState> = {
  id: 'import',
  title: 'Import the drive\'s pool',
  async run(ctx, s) {
    s.importAttempted = true
    const statePath = s.statePath ?? defaultVerifiedStatePath()
    s.pool = await importDrivePool(ctx, s.drive, { readonly: s.dryRun, ...(s.dryRun ? {} : { statePath }) })
    s.importedByUs = s.pool.importedByUs
    if (s.pool.readonly && !s.dryRun) throw new EngineError('drive-open-for-restore', `${s.pool.name} is imported read-only (a restore is open).`, 'Close the restore (restore close) first; then back up again.')
    if (!s.dryRun) {
      const drive = s.drive
      s.watch = watchDisk(s.pool.disk ?? drive.disk, () => pulledMidRun(ctx, s))
      if (s.importedByUs && !s.pool.recovered && tellOnce(statePath, drive.poolGuid, 'failmode-continue')) {
        ctx.info(`Drive "${drive.name}" is imported with failmode=continue from now on: if its cable is pulled mid-backup, the backup stops with an error at once instead of freezing every zfs command on this machine.`)
      }
    }
    return { note: s.pool.recovered ? `${s.pool.name} taken back after the drive was reconnected` : s.importedByUs ? `imported ${s.pool.name}${s.dryRun ? ' read-only' : ' (failmode=continue)'}` : `${s.pool.name} already imported` }
  },
}

const plan: Step<BackupState> = {
  id: 'plan',
  title: 'Work out what to send',
  async run(ctx, s) {
    // One zfs get for every dataset: its properties and snapshots_changed, before any listing.
    s.atPlan = await readChanges(ctx.runner, s.pairs.flatMap((p) => [p.source, p.target]))
    const verified = readVerified(s.statePath ?? defaultVerifiedStatePath(), s.drive.poolGuid)
    const same = unchangedPlans(s.pairs, verified, s.atPlan)
    if (same) {
      s.plans = same
      s.unchanged = true
      for (const p of same) ctx.info(`${p.target} is up to date (@${p.newest})`)
      return { note: `nothing changed since the last verified backup (${same.map((p) => `${p.source} @${p.newest}`).join('; ')}): no snapshot listed` }
    }
    // Something changed, so a transfer is likely: its FIFO is made while the listing runs.
    if (s.config.replication.engine !== 'syncoid' && !s.dryRun) ctx.runner.preparePipe?.()
    const sides = await readSides(ctx.runner, s.pairs, s.atPlan.props)
    s.plans = s.pairs.map(({ source, target }) => resolvePlan(source, target, sides, s.drive.poolGuid, { knownSent: new Set(verified[source]?.target === target ? [verified[source].guid] : []), ...(s.discard ? { discard: s.discard } : {}) }))
    for (const [i, p] of s.plans.entries()) s.plans[i] = await settleResume(ctx, p, s.config.replication.raw, s.dryRun)
    // Only syncoid needs a byte total in advance (the native send announces its own) and a dry run shows one.
    if (s.config.replication.engine === 'syncoid' || s.dryRun) {
      const raw = s.config.replication.raw
      s.plans = await Promise.all(s.plans.map((p) => estimatePlan(ctx.runner, p, raw)))
      if (s.dryRun) await checkRoomDryRun(ctx, s)
    }
    if (s.plans.every((p) => p.transfers.length === 0)) ctx.runner.discardPrepared?.()
    const parts = s.plans.map((p) => (p.transfers.length === 0 ? `${p.source}: up to date` : `${p.source}: ${describeStart(p)} up to @${p.newest}`))
    const total = s.plans.every((p) => p.totalBytes !== null) ? ` (${s.plans.reduce((a, p) => a + p.totalBytes!, 0)} bytes)` : ''
    return { note: `${parts.join('; ')}${total}` }
  },
}

const replicate: Step<BackupState> = {
  id: 'replicate',
  title: 'Send new snapshots (raw, encrypted)',
  async run(ctx, s) {
    if (s.unchanged) return { skipped: 'nothing changed since the last verified backup' }
    // A dry run goes through here too: its runner only prints the transfer's commands.
    s.plans = await beforeSending(ctx, s)
    try {
      if (s.config.replication.engine === 'syncoid') await replicateSyncoid(ctx, s.drive, s.plans, s.config.replication)
      else await replicateNative(ctx, s.plans, s.config.replication)
    } catch (err) {
      // The I/O error can reach the receive a moment before udev removes the disk's link (the error that
      // stopped this step stays its record).
      if (await pulledMeanwhile(ctx, s)) throw err
      throw err instanceof DriveFullError ? await withPruneOffer(ctx, err, s) : err
    }
  },
}

const prune: Step<BackupState> = {
  id: 'prune',
  title: 'Remove snapshots the laptop has pruned',
  async run(ctx, s) {
    if (s.unchanged) return { skipped: 'nothing changed since the last verified backup' }
    s.after = await listingsAfter(ctx.runner, s.config.replication.engine, s.plans)
    if ((s.drive.retention ?? 'mirror') === 'mirror' && !s.config.replication.deleteTargetSnapshots) return { skipped: 'deleteTargetSnapshots is off' }
    const { removed } = await onDrive(ctx, s, pruneDrive(ctx, s.config, s.drive, s.plans, s.after, s.dryRun))
    return removed ? { note: `${s.dryRun ? 'would remove' : 'removed'} ${removed} (${describeRetention(s.drive.retention ?? 'mirror')})` } : { skipped: 'nothing to remove' }
  },
}

const verify: Step<BackupState> = {
  id: 'verify',
  title: 'Verify the copy is encrypted and complete',
  async run(ctx, s) {
    if (s.dryRun) return { skipped: 'dry run: nothing was sent' }
    s.atVerify = await onDrive(ctx, s, verifyTargets(ctx, s.plans, s.config.replication.raw, s.unchanged ? s.atPlan?.props : undefined))
  },
}

const keepBase: Step<BackupState> = {
  id: 'keep-base',
  title: 'Keep the next backup\'s base on the laptop',
  async run(ctx, s) {
    if (s.dryRun) return { skipped: 'dry run: nothing was sent' }
    if (s.unchanged) return { skipped: 'nothing changed since the last verified backup' }
    const { created } = await keepBases(ctx, s.plans, s.drive.poolGuid)
    if (s.atPlan && s.atVerify) await recordVerified(ctx.runner, s.statePath ?? defaultVerifiedStatePath(), s.drive.poolGuid, s.plans, s.atPlan, s.atVerify)
    return created ? { note: `bookmark${created > 1 ? 's' : ''} moved to the newest snapshot` } : { note: 'bookmark already on the newest snapshot' }
  },
}

const exportPool = exportStep<BackupState>({
  skip: (s) =>
    !s.importAttempted ? 'the pool was not touched'
    : s.pulled ? 'the drive was disconnected: its pool stays imported until it is back (an export now would freeze ZFS)'
    // Refused at import (not the drive's pool, or not importable): left as it was found.
    : !s.pool ? 'the drive\'s pool was not imported'
    : s.dryRun && !s.importedByUs ? 'dry run: the pool was imported before, left as it was'
    : !s.config.afterBackup.export && !s.dryRun ? 'afterBackup.export is off'
    : null,
  drive: (s) => s.drive,
  importedAs: (s) => s.pool?.name ?? null,
})

const powerOff: Step<BackupState> = {
  id: 'power-off',
  title: 'Power off the drive',
  async run(ctx, s) {
    // From here the disk is meant to go.
    s.watch?.stop()
    if (!s.config.afterBackup.export || !s.config.afterBackup.powerOff) return { skipped: 'afterBackup.powerOff is off' }
    if (s.dryRun) {
      await ctx.runner.run(powerOffArgv(s.pool?.disk ?? s.drive.disk))
      return { note: 'dry run: the drive stays on' }
    }
    await powerOffDrive(ctx, s.drive, s.pool?.disk ?? null)
    return { note: 'safe to unplug' }
  },
}

export const backupSteps: Step<BackupState>[] = [preflight, importPool, plan, replicate, prune, verify, keepBase, exportPool, powerOff]

export interface BackupOptions extends DriveRunOptions {
  dryRun?: boolean
  /** Where verified runs are recorded (default: verified-state.ts's, root's own). */
  statePath?: string
  /** Remove what the drive's retention removes at this backup before sending, to make room. */
  pruneFirst?: boolean
  /** Snapshot names confirmed for discarding from the drive (the laptop destroyed them after they were sent). */
  discard?: string[]
}

/** "incremental", "first full copy", or where a resumed or bookmark-based send starts. */
function describeStart(p: ReplicationPlan): string {
  const first = p.transfers[0]!
  if (first.base.kind === 'resume') return 'continuing the interrupted transfer, then'
  if (first.base.kind === 'incremental' && first.base.from.includes('#')) return `incremental from bookmark ${first.base.from.split('#')[1]}`
  return p.targetExists && first.base.kind === 'incremental' ? 'incremental' : 'first full copy'
}

/** A fresh state for backupSteps (setup runs them too, for its first copy). */
export function newBackupState(config: Config, drive: DriveConfig, opts: { dryRun?: boolean; lockPath?: string; statePath?: string; pruneFirst?: boolean; discard?: string[] } = {}): BackupState {
  const pairs = Object.entries(drive.targets).map(([source, target]) => ({ source, target }))
  return {
    config, drive, pairs, lock: null, plans: [], after: new Map(), dryRun: opts.dryRun ?? false, importedByUs: false, importAttempted: false, pool: null, atPlan: null, unchanged: false, pruneFirst: opts.pruneFirst ?? false,
    ...(opts.discard?.length ? { discard: opts.discard } : {}),
    ...(opts.lockPath ? { lockPath: opts.lockPath } : {}), ...(opts.statePath ? { statePath: opts.statePath } : {}),
  }
}

export async function backup(o: BackupOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state = newBackupState(o.config, drive, { dryRun: o.dryRun ?? false, pruneFirst: o.pruneFirst ?? false, ...(o.discard ? { discard: o.discard } : {}), ...(o.lockPath ? { lockPath: o.lockPath } : {}), ...(o.statePath ? { statePath: o.statePath } : {}) })
  const runner = state.dryRun ? dryRunner(o.runner) : o.runner
  try {
    return await runPipeline({ verb: 'backup', drive: drive.name, steps: withSnapshotNow(backupSteps, o.config, drive), state, runner, emit: o.emit, signal: o.signal })
  } finally {
    // A FIFO made for a transfer that did not happen (the plan failed, or the transfer did).
    runner.discardPrepared?.()
    state.watch?.stop()
    state.lock?.release()
  }
}

/** Commands a dry run really runs: they only read, or (the read-only import and its export) leave no trace. */
export function readsOnly(command: readonly string[]): boolean {
  const argv = unwrapDieWithParent(command)
  const [tool, sub] = argv
  if (tool === 'zfs') return ['list', 'get', 'version'].includes(sub ?? '') || (sub === 'send' && argv.includes('-n'))
  if (tool === 'zpool') return ['list', 'get', 'status', 'version', 'export'].includes(sub ?? '') || (sub === 'import' && argv.includes('readonly=on'))
  if (tool === 'syncoid') return argv.includes('--version')
  return tool === 'udevadm'
}

function dryRunner(real: Runner): Runner {
  const side = (argv: readonly string[]) => ({ argv, pid: undefined, exitCode: 0, signal: null, stderr: '' })
  return {
    run: async (argv, options) => (readsOnly(argv) ? real.run(argv, options) : { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }),
    pipe: async (send, receive) => ({ send: side(send), receive: side(receive), durationMs: 0 }),
  }
}

export type { StepContext }
