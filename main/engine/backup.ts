// The guide's `backupToExternalDrive` as steps: preflight, import by GUID, plan, raw replication with
// syncoid, pruning, verification, export and power-off.
import type { DriveRunOptions } from './pipeline'
import type { Config, DriveConfig } from '../config/schema'
import { runSyncoid } from '../system/syncoid'
import { powerOffArgv } from '../system/udisksctl'
import { syncoidVersion } from '../system/syncoid'
import { destroySnapshotArgv, getDatasetProperties, listSnapshots, datasetExists, type SnapshotInfo } from '../system/zfs'
import { runningZfsVersion, zfsHasRawSendFix, zfsVersion } from '../system/zpool'
import { CommandError, type Runner } from '../system/runner'
import { EngineError } from './errors'
import { exportStep } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step, type StepContext } from './pipeline'
import { planReplication, prunedOnSource, type ReplicationPlan } from './plan'
import { importDrivePool, powerOffDrive, type DrivePool } from './pool'
import { missingTools } from './tools'
import { pickDrive, requireRoot } from './preflight'
import { ProgressMeter } from './progress'

export interface BackupState {
  config: Config
  drive: DriveConfig
  pairs: { source: string; target: string }[]
  lock: Lock | null
  plans: ReplicationPlan[]
  /** Snapshots on both sides once the transfer is done, by target; prune keeps it current for verify. */
  after: Map<string, { src: SnapshotInfo[]; tgt: SnapshotInfo[] }>
  lockPath?: string
  /** Show what would happen: the pool is imported read-only, nothing is sent, destroyed or powered off. */
  dryRun: boolean
  importedByUs: boolean
  /** A run that failed before reaching the pool leaves it as it found it. */
  importAttempted: boolean
  /** The drive's pool once imported and checked (by GUID): address it as pool.name. Null until then, and when refused. */
  pool: DrivePool | null
}

const preflight: Step<BackupState> = {
  id: 'preflight',
  title: 'Check tools and sources',
  async run(ctx, s) {
    requireRoot('Backing up imports and exports a pool', 'Run it with sudo or doas (as the guide does), or use the tray app, which asks for your password.')
    s.lock = acquireLock(s.lockPath, `backup to ${s.drive.name}`)
    const missing = missingTools(['zpool', 'zfs', 'syncoid', 'udisksctl'])
    if (missing.length) throw new EngineError('tool-missing', `Not installed: ${missing.join(', ')}.`, 'Install OpenZFS, sanoid (for syncoid) and udisks2.')
    if (missingTools(['pv']).length) ctx.warn('pv-missing', 'pv is not installed: the backup runs, but without byte progress.')
    const check = await syncoidVersion(ctx.runner)
    if (!check.ok) throw new EngineError('syncoid-too-old', check.problem ?? `syncoid ${check.version ?? '(unknown version)'} is too old.`, 'Install sanoid/syncoid 2.2.0 or newer (2.1.0 rejects --delete-target-snapshots).')
    const kernel = runningZfsVersion(await zfsVersion(ctx.runner))
    if (kernel && !zfsHasRawSendFix(kernel)) {
      ctx.warn('zfs-raw-send-bug', `OpenZFS ${kernel} predates the fix for raw-send snapshot corruption (openzfs/zfs#12014); upgrade to 2.2.8 / 2.3.3 or later.`)
    }
    for (const { source } of s.pairs) {
      if (!(await datasetExists(ctx.runner, source))) throw new EngineError('source-missing', `The source dataset ${source} does not exist.`)
      const props = await getDatasetProperties(ctx.runner, source)
      const allowed = s.config.sources.find((x) => x.dataset === source)?.allowUnencrypted ?? false
      if (!props.encrypted && !allowed) {
        throw new EngineError('source-unencrypted', `${source} is not encrypted, so its copy on the drive would be readable by anyone who finds the drive.`, 'Back up an encrypted dataset, or set allowUnencrypted for this source if that is what you want.')
      }
      if (!props.encrypted) ctx.warn('source-unencrypted', `${source} is not encrypted: the drive will hold a plain copy.`)
    }
  },
}

const importPool: Step<BackupState> = {
  id: 'import',
  title: 'Import the drive\'s pool',
  async run(ctx, s) {
    s.importAttempted = true
    s.pool = await importDrivePool(ctx, s.drive, { readonly: s.dryRun })
    s.importedByUs = s.pool.importedByUs
    if (s.pool.readonly && !s.dryRun) throw new EngineError('drive-open-for-restore', `${s.pool.name} is imported read-only (a restore is open).`, 'Close the restore (restore close) first; then back up again.')
    return { note: s.importedByUs ? `imported ${s.pool.name}${s.dryRun ? ' read-only' : ''}` : `${s.pool.name} already imported` }
  },
}

const plan: Step<BackupState> = {
  id: 'plan',
  title: 'Work out what to send',
  async run(ctx, s) {
    s.plans = []
    for (const { source, target } of s.pairs) s.plans.push(await planReplication(ctx.runner, source, target, s.config.replication.raw))
    const total = s.plans.reduce((a, p) => a + p.totalBytes, 0)
    const parts = s.plans.map((p) => (p.segments.length === 0 ? `${p.source}: up to date` : `${p.source}: ${p.targetExists ? 'incremental' : 'first full copy'} up to @${p.newest}`))
    return { note: `${parts.join('; ')} (${total} bytes)` }
  },
}

const replicate: Step<BackupState> = {
  id: 'replicate',
  title: 'Send new snapshots (raw, encrypted)',
  async run(ctx, s) {
    const meter = new ProgressMeter(s.plans.map((p) => p.totalBytes), (p) => ctx.progress(p))
    // syncoid runs `zfs send | pv | zfs receive` in a shell: cancel must reach the whole process group.
    const runner: Runner = { run: (argv, options) => ctx.runner.run(argv, { ...options, group: true }) }
    try {
      for (const p of s.plans) {
        // Nothing new: syncoid would spend seconds (minutes with many snapshots) to say so.
        if (p.segments.length === 0) {
          ctx.info(`${p.target} is up to date (@${p.newest})`)
          meter.finishSegment()
          continue
        }
        const r = s.config.replication
        try {
          await runSyncoid(runner, { source: p.source, target: p.target, raw: r.raw, compress: r.compress, deleteTargetSnapshots: r.deleteTargetSnapshots, noSyncSnap: r.noSyncSnap, noRollback: r.noRollback }, (snap) => meter.update(snap.bytes), ctx.signal)
        } catch (err) {
          throw syncoidError(err, p)
        }
        meter.finishSegment()
      }
    } finally {
      meter.stop()
    }
  },
}

/**
 * Both sides' snapshots after the transfer. With 500 snapshots a listing costs seconds under emulation
 * (more on a USB disk), so a pair that had nothing to send reuses the plan's listings.
 */
async function listingsAfterSend(ctx: StepContext, p: ReplicationPlan): Promise<{ src: SnapshotInfo[]; tgt: SnapshotInfo[] }> {
  if (p.segments.length === 0) return { src: p.sourceSnapshots, tgt: p.targetSnapshots }
  return { src: await listSnapshots(ctx.runner, p.source), tgt: await listSnapshots(ctx.runner, p.target) }
}

const prune: Step<BackupState> = {
  id: 'prune',
  title: 'Remove snapshots the laptop has pruned',
  async run(ctx, s) {
    for (const p of s.plans) s.after.set(p.target, await listingsAfterSend(ctx, p))
    // syncoid prunes only when it sent something; this makes the end state hold on every run.
    if (!s.config.replication.deleteTargetSnapshots) return { skipped: 'deleteTargetSnapshots is off' }
    let n = 0
    for (const p of s.plans) {
      const lists = s.after.get(p.target)!
      const gone = prunedOnSource(lists.src, lists.tgt)
      for (const snap of gone) {
        await ctx.runner.run(destroySnapshotArgv(snap.name))
        n++
      }
      lists.tgt = lists.tgt.filter((t) => !gone.includes(t))
    }
    return n ? { note: `removed ${n}` } : { skipped: 'nothing to remove' }
  },
}

const verify: Step<BackupState> = {
  id: 'verify',
  title: 'Verify the copy is encrypted and complete',
  async run(ctx, s) {
    if (s.dryRun) return { skipped: 'dry run: nothing was sent' }
    for (const { source, target } of s.pairs) {
      const [sp, tp] = [await getDatasetProperties(ctx.runner, source), await getDatasetProperties(ctx.runner, target)]
      if (sp.encryption !== tp.encryption) throw new EngineError('verify-failed', `${target} has encryption=${tp.encryption}, but ${source} has ${sp.encryption}.`)
      if (s.config.replication.raw && tp.encrypted && tp.keystatus !== 'unavailable') {
        throw new EngineError('verify-failed', `The key of ${target} is loaded on the drive (keystatus=${tp.keystatus}); a raw backup must never carry it.`)
      }
      const { src, tgt } = s.after.get(target) ?? { src: await listSnapshots(ctx.runner, source), tgt: await listSnapshots(ctx.runner, target) }
      const newest = src.at(-1)!
      const copy = tgt.find((t) => t.snapshot === newest.snapshot)
      if (!copy || copy.guid !== newest.guid) throw new EngineError('verify-failed', `${target} lacks @${newest.snapshot} (guid ${newest.guid}) after replication.`)
      ctx.info(`${target}: ${tp.encryption}, key not on the drive, @${newest.snapshot} guid ${newest.guid} matches`)
      ctx.emit({ type: 'replicated', source, target, snapshot: newest.snapshot, guid: newest.guid })
    }
  },
}

const exportPool = exportStep<BackupState>({
  skip: (s) =>
    !s.importAttempted ? 'the pool was not touched'
    // Refused at import (not the drive's pool, or not importable): left as it was found.
    : !s.pool ? 'the drive\'s pool was not imported'
    : s.dryRun && !s.importedByUs ? 'dry run: the pool was imported before, left as it was'
    : !s.config.afterBackup.export && !s.dryRun ? 'afterBackup.export is off'
    : null,
  drive: (s) => s.drive,
})

const powerOff: Step<BackupState> = {
  id: 'power-off',
  title: 'Power off the drive',
  async run(ctx, s) {
    if (!s.config.afterBackup.export || !s.config.afterBackup.powerOff) return { skipped: 'afterBackup.powerOff is off' }
    if (s.dryRun) {
      await ctx.runner.run(powerOffArgv(s.pool?.disk ?? s.drive.disk))
      return { note: 'dry run: the drive stays on' }
    }
    await powerOffDrive(ctx, s.drive, s.pool?.disk ?? null)
    return { note: 'safe to unplug' }
  },
}

export const backupSteps: Step<BackupState>[] = [preflight, importPool, plan, replicate, prune, verify, exportPool, powerOff]

export interface BackupOptions extends DriveRunOptions {
  dryRun?: boolean
}

/** A fresh state for backupSteps (setup runs them too, for its first copy). */
export function newBackupState(config: Config, drive: DriveConfig, opts: { dryRun?: boolean; lockPath?: string } = {}): BackupState {
  const pairs = Object.entries(drive.targets).map(([source, target]) => ({ source, target }))
  return { config, drive, pairs, lock: null, plans: [], after: new Map(), dryRun: opts.dryRun ?? false, importedByUs: false, importAttempted: false, pool: null, ...(opts.lockPath ? { lockPath: opts.lockPath } : {}) }
}

export async function backup(o: BackupOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state = newBackupState(o.config, drive, { dryRun: o.dryRun ?? false, ...(o.lockPath ? { lockPath: o.lockPath } : {}) })
  const runner = state.dryRun ? dryRunner(o.runner) : o.runner
  try {
    return await runPipeline({ verb: 'backup', drive: drive.name, steps: backupSteps, state, runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}

/** Commands a dry run really runs: they only read, or (the read-only import and its export) leave no trace. */
export function readsOnly(argv: readonly string[]): boolean {
  const [tool, sub] = argv
  if (tool === 'zfs') return ['list', 'get', 'version'].includes(sub ?? '') || (sub === 'send' && argv.includes('-n'))
  if (tool === 'zpool') return ['list', 'get', 'status', 'version', 'export'].includes(sub ?? '') || (sub === 'import' && argv.includes('readonly=on'))
  if (tool === 'syncoid') return argv.includes('--version')
  return tool === 'udevadm'
}

function dryRunner(real: Runner): Runner {
  return {
    run: async (argv, options) => (readsOnly(argv) ? real.run(argv, options) : { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }),
  }
}

function syncoidError(err: unknown, p: ReplicationPlan): unknown {
  if (!(err instanceof CommandError) || err.cancelled) return err
  const output = `${err.stdout}\n${err.stderr}`
  if (/has been modified|destination .* has snapshots/.test(output)) {
    return new EngineError('target-modified', `${p.target} on the drive was changed since the last backup, so the new snapshots cannot be received on top of it (--no-rollback).`, `Nothing was rolled back. If the change on the drive is not needed, roll it back by hand (zfs rollback ${p.target}@<newest snapshot>) and back up again.`)
  }
  const tail = output.trim().split('\n').filter((l) => !/^\d+$/.test(l)).slice(-3).join(' / ')
  return new EngineError('replication-failed', `syncoid failed for ${p.source} → ${p.target}${tail ? `: ${tail}` : ''}`, 'The drive keeps its previous snapshots; a partial transfer resumes on the next run.')
}

export type { StepContext }
