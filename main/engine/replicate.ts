// The replicate, prune and verify work of a backup, for both engines. "native" performs each planned
// transfer itself (transfer.ts). "syncoid" runs the guide's command, fenced: no name with ':' (syncoid
// reads `a:b` as host:dataset and starts ssh), the target must lie in the pool imported by the drive's
// GUID, and pruning is always the app's own (syncoid's --delete-target-snapshots joins names unquoted
// into a shell string).
import type { DriveConfig, ReplicationConfig } from '../config/schema'
import type { Runner } from '../system/runner'
import { runSyncoid } from '../system/syncoid'
import { dieWithParentTreeArgv } from '../system/setpriv'
import { parseSendEstimate, sendArgv } from '../system/zfs-send'
import { listForReplication, destroySnapshotsArgv, type DatasetProperties, type ListedSnapshot } from '../system/zfs'
import { listPools } from '../system/zpool'
import { EngineError } from './errors'
import type { StepContext } from './pipeline'
import { prunedOnSource, targetAfter, type ReplicationPlan, type Transfer } from './plan'
import { ProgressMeter } from './progress'
import { which } from './tools'
import { runTransfer } from './transfer'
import { transferFailure } from './transfer-failure'
import { readChanges, type ChangeReading } from './noop'

/** Both sides as they are after the transfer, for prune and verify. */
export interface AfterListing {
  src: ListedSnapshot[]
  tgt: ListedSnapshot[]
}

/**
 * Each send announces its own size, but only when it starts. So that the total is right from the run's
 * first byte when there is more than one transfer (a first copy: full, then -I), the later ones are
 * estimated by dry runs while the first one sends; a real header replaces its estimate.
 */
function estimateLater(ctx: StepContext, segments: readonly Transfer[], raw: boolean, meter: ProgressMeter): Promise<unknown> {
  return Promise.all(segments.slice(1).map(async (t, i) => {
    const r = await ctx.runner.run(sendArgv(t.base, t.to, { raw, dryRun: true }), { allowFailure: true })
    const bytes = parseSendEstimate(`${r.stdout}\n${r.stderr}`)
    if (r.exitCode === 0 && bytes !== null) meter.setEstimateAt(i + 1, bytes, true)
  })).catch(() => undefined)
}

/** Sends every planned transfer of every pair with the app's own pipe; progress spans the whole run. */
export async function replicateNative(ctx: StepContext, plans: readonly ReplicationPlan[], r: ReplicationConfig): Promise<void> {
  const segments = plans.flatMap((p) => p.transfers)
  const meter = new ProgressMeter(segments.length ? segments.map(() => 0) : [0], (p) => ctx.progress(p), Date.now, 5_000, { totalUnknown: segments.length > 0 })
  const dieWithParent = which('setpriv') !== null
  const estimates = estimateLater(ctx, segments, r.raw, meter)
  try {
    for (const p of plans) {
      if (p.transfers.length === 0) {
        ctx.info(`${p.target} is up to date (@${p.newest})`)
        continue
      }
      for (const t of p.transfers) {
        const sending = runTransfer(ctx, t, { source: p.source, target: p.target, raw: r.raw, meter, dieWithParent })
        // The next transfer's FIFO is made while this one runs (this one has taken the last one made).
        if (t !== segments.at(-1)) ctx.runner.preparePipe?.()
        await sending
        meter.finishSegment()
      }
    }
    if (segments.length === 0) meter.finishSegment()
  } finally {
    await estimates
    meter.stop()
  }
}

/** Names syncoid would misread: `a:b` is host `a`, and the rest of the string goes to ssh. */
export function syncoidUnsafeName(name: string): boolean {
  return name.includes(':')
}

export async function assertSyncoidFence(runner: Runner, drive: DriveConfig, pairs: readonly { source: string; target: string }[]): Promise<void> {
  for (const { source, target } of pairs) {
    for (const name of [source, target]) {
      if (syncoidUnsafeName(name)) {
        throw new EngineError('syncoid-unsafe-name', `${name} contains ':', which syncoid reads as host:dataset (it would start ssh).`, 'Rename the dataset, or use replication.engine "native", which takes names as they are.')
      }
    }
  }
  const pool = (await listPools(runner)).find((p) => p.guid === drive.poolGuid)
  for (const { target } of pairs) {
    if (!pool || !target.startsWith(`${pool.name}/`)) {
      throw new EngineError('target-outside-drive', `${target} is not inside the pool imported from drive "${drive.name}" (GUID ${drive.poolGuid}${pool ? `, imported as ${pool.name}` : ', not imported'}).`, 'Check the drive\'s targets in the config.')
    }
  }
}

export async function replicateSyncoid(ctx: StepContext, drive: DriveConfig, plans: readonly ReplicationPlan[], r: ReplicationConfig): Promise<void> {
  await assertSyncoidFence(ctx.runner, drive, plans)
  const meter = new ProgressMeter(plans.map((p) => p.totalBytes ?? 0), (p) => ctx.progress(p))
  // syncoid runs `zfs send | pv | zfs receive` in a shell: cancel must reach the whole process group, and
  // the run's death (even SIGKILL) the whole tree: syncoid runs in a PID namespace that dies with the run.
  const runner: Runner = { run: (argv, options) => ctx.runner.run(argv, { ...options, group: true }) }
  const wrap = which('setpriv') !== null && which('unshare') !== null ? dieWithParentTreeArgv : undefined
  try {
    for (const p of plans) {
      // Nothing new: syncoid would spend seconds (minutes with many snapshots) to say so.
      if (p.transfers.length === 0) {
        ctx.info(`${p.target} is up to date (@${p.newest})`)
        meter.finishSegment()
        continue
      }
      try {
        await runSyncoid(runner, { source: p.source, target: p.target, raw: r.raw, compress: r.compress, noSyncSnap: r.noSyncSnap, noRollback: r.noRollback }, (snap) => meter.update(snap.bytes), ctx.signal, wrap)
      } catch (err) {
        throw await transferFailure(ctx, err, { source: p.source, target: p.target, what: `@${p.newest}`, neededBytes: p.totalBytes })
      }
      meter.finishSegment()
    }
  } finally {
    meter.stop()
  }
}

/**
 * Both sides after the transfer. The native engine knows what it sent, so the plan's listings are
 * reused; after syncoid the targets are listed once more (all in one command), as syncoid decided.
 */
export async function listingsAfter(runner: Runner, engine: ReplicationConfig['engine'], plans: readonly ReplicationPlan[]): Promise<Map<string, AfterListing>> {
  const out = new Map<string, AfterListing>()
  const sent = plans.filter((p) => p.transfers.length > 0)
  const relisted = engine === 'syncoid' && sent.length ? await listForReplication(runner, sent.map((p) => p.target)) : null
  for (const p of plans) {
    const tgt = relisted?.get(p.target)?.snapshots ?? targetAfter(p)
    out.set(p.target, { src: p.sourceSnapshots, tgt })
  }
  return out
}

/** Destroys the snapshots the laptop pruned, one batched `zfs destroy TGT@a,b,c` per target. */
export async function pruneTargets(ctx: StepContext, after: Map<string, AfterListing>): Promise<number> {
  let n = 0
  for (const [target, lists] of after) {
    const gone = prunedOnSource(lists.src, lists.tgt)
    if (gone.length === 0) continue
    for (const argv of destroySnapshotsArgv(target, gone.map((g) => g.snapshot))) await ctx.runner.run(argv)
    n += gone.length
    lists.tgt = lists.tgt.filter((t) => !gone.includes(t))
  }
  return n
}

/**
 * The copy is encrypted like its source, its key is not on the drive, and the source's newest snapshot is
 * there with the same guid: one `zfs get` for every source, target and the target's newest snapshot.
 * `unchanged` is the plan's own `zfs get` when neither side's snapshots changed since the last verified
 * run: it already holds encryption and keystatus (which can change without a snapshot), and the newest
 * snapshot is the one that run verified, so nothing more is asked. Returns the reading it took (with
 * snapshots_changed, which the run records as what it verified), or null when given `unchanged`.
 */
export async function verifyTargets(ctx: StepContext, plans: readonly ReplicationPlan[], raw: boolean, unchanged?: ReadonlyMap<string, DatasetProperties>): Promise<ChangeReading | null> {
  const names = plans.flatMap((p) => [p.source, p.target, `${p.target}@${p.newest}`])
  const reading = unchanged ? null : await readChanges(ctx.runner, names, ['encryption', 'keystatus', 'guid'])
  const props = unchanged ?? reading!.props
  for (const p of plans) {
    const sp = props.get(p.source)
    const tp = props.get(p.target)
    if (!sp || !tp) throw new EngineError('verify-failed', `${tp ? p.source : p.target} is missing after replication.`)
    if (sp.encryption !== tp.encryption) throw new EngineError('verify-failed', `${p.target} has encryption=${tp.encryption}, but ${p.source} has ${sp.encryption}.`)
    if (raw && tp.encrypted && tp.keystatus !== 'unavailable') {
      throw new EngineError('verify-failed', `The key of ${p.target} is loaded on the drive (keystatus=${tp.keystatus}); a raw backup must never carry it.`)
    }
    const newest = p.sourceSnapshots.at(-1)!
    const copy = unchanged ? p.targetSnapshots.at(-1)?.guid : props.get(`${p.target}@${p.newest}`)?.raw.guid?.value
    if (copy !== newest.guid) throw new EngineError('verify-failed', `${p.target} lacks @${newest.snapshot} (guid ${newest.guid}) after replication.`)
    ctx.info(`${p.target}: ${tp.encryption}, key not on the drive, @${newest.snapshot} guid ${newest.guid} matches${unchanged ? ' (no snapshot changed on either side since the last verified backup)' : ''}`)
    ctx.emit({ type: 'replicated', source: p.source, target: p.target, snapshot: newest.snapshot, guid: newest.guid })
  }
  return reading
}
