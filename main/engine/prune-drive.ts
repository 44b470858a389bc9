// The prune step's work: the drive's retention (mirror or its keep policy) applied to each target as it
// stands after the transfer, then one batched `zfs destroy TGT@a,b,c` per target. A keep policy needs
// snapshot times, which the replication listing leaves out (listing `creation` opens every snapshot),
// so only drives with a policy list their targets once more, with dates.
import type { Config, DriveConfig } from '../config/schema'
import { destroySnapshotsArgv, listSnapshots, type SnapshotInfo } from '../system/zfs'
import { currentBookmark } from './keep-base'
import type { StepContext } from './pipeline'
import { newestCommon, type ReplicationPlan } from './plan'
import type { AfterListing } from './replicate'
import { applyKeepPolicy, applyMirror, describeRetention, type RetentionDecision } from './retention'

export interface PruneResult {
  removed: number
  decisions: Map<string, RetentionDecision>
}

export async function pruneDrive(ctx: StepContext, config: Config, drive: DriveConfig, plans: readonly ReplicationPlan[], after: Map<string, AfterListing>, dryRun: boolean): Promise<PruneResult> {
  const retention = drive.retention ?? 'mirror'
  const decisions = new Map<string, RetentionDecision>()
  let removed = 0
  if (retention === 'mirror' && !config.replication.deleteTargetSnapshots) return { removed, decisions }
  for (const p of plans) {
    const lists = after.get(p.target)
    if (!lists) continue
    const protect = { newestCommonGuid: newestCommon(lists.src, lists.tgt)?.guid ?? null, bookmarkGuid: currentBookmark(p.sourceBookmarks, drive.poolGuid)?.guid ?? null }
    const sourceGuids = new Set(lists.src.map((s) => s.guid))
    const d: RetentionDecision = retention === 'mirror' ? applyMirror(inOrder(lists.tgt), sourceGuids, protect) : applyKeepPolicy(inOrder(await datedTarget(ctx, p, lists, dryRun)), retention, protect)
    decisions.set(p.target, d)
    if (d.prune.length === 0) continue
    ctx.info(`${p.target} (${describeRetention(retention)}): ${dryRun ? 'would remove' : 'removing'} ${d.prune.map((s) => `@${s.snapshot}`).join(', ')}; keeping ${d.keep.length}`)
    for (const argv of destroySnapshotsArgv(p.target, d.prune.map((s) => s.snapshot))) await ctx.runner.run(argv)
    removed += d.prune.length
    const gone = new Set(d.prune.map((s) => s.guid))
    lists.tgt = lists.tgt.filter((t) => !gone.has(t.guid))
  }
  return { removed, decisions }
}

/**
 * The target with snapshot times, as it stands after the transfer. After a real send that is a listing of
 * it; a dry run sent nothing, so the snapshots it would send are added with their times from the source.
 */
async function datedTarget(ctx: StepContext, p: ReplicationPlan, lists: AfterListing, dryRun: boolean): Promise<SnapshotInfo[]> {
  // A dry run's first copy has no target yet; a real run's has one by now.
  const tgt = dryRun && !p.targetExists ? [] : await listSnapshots(ctx.runner, p.target)
  if (!dryRun || p.transfers.length === 0) return tgt
  const have = new Set(tgt.map((t) => t.guid))
  const coming = new Set(lists.tgt.map((t) => t.guid))
  const sent = (await listSnapshots(ctx.runner, p.source)).filter((s) => coming.has(s.guid) && !have.has(s.guid))
  return [...tgt, ...sent.map((s) => ({ ...s, name: `${p.target}@${s.snapshot}`, dataset: p.target }))]
}

/**
 * The target's snapshots oldest first, numbered in that order. What was (or would be) sent is appended
 * with the source's createtxg, which says nothing about the target's order: it must not be sorted by.
 */
function inOrder<T extends { createtxg: string }>(xs: readonly T[]): T[] {
  return xs.map((s, i) => ({ ...s, createtxg: String(i) }))
}
