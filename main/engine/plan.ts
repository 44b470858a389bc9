// What a replication will send, worked out from one listing of both sides: the transfers (each a resolved
// base and the snapshot it goes up to) and the refusals that must come before any byte is sent.
import { EngineError } from './errors'
import { currentBookmark, incrementalBase } from './keep-base'
import type { Runner } from '../system/runner'
import { getManyProperties, listForReplication, type BookmarkInfo, type DatasetListing, type DatasetProperties, type ListedSnapshot } from '../system/zfs'
import { parseSendEstimate, sendArgv, type SendBase } from '../system/zfs-send'

/** One `zfs send | zfs receive`: where the stream starts and the snapshot it brings the target up to. */
export interface Transfer {
  base: SendBase
  /** null for a resume: the token names the snapshot. */
  to: string | null
  /** From a `zfs send -nvP` dry run (syncoid and dry runs only); the native send announces its own. */
  estimateBytes: number | null
}

export interface ReplicationPlan {
  source: string
  target: string
  targetExists: boolean
  /** Left on the target by an interrupted `zfs receive -s`. */
  resumeToken: string | null
  /** Newest snapshot both sides hold (same guid), by name on the source. */
  common: string | null
  newest: string
  /** What to send, in order; empty when the target is up to date. */
  transfers: Transfer[]
  /** Sum of the estimates, when every transfer has one. */
  totalBytes: number | null
  /** The listings the plan was made from, oldest first: prune and verify reuse them. */
  sourceSnapshots: ListedSnapshot[]
  targetSnapshots: ListedSnapshot[]
  sourceBookmarks: BookmarkInfo[]
  sourceProps: DatasetProperties
}

/** The newest source snapshot the target also holds, matched by guid as zfs receive does. */
export function newestCommon<T extends ListedSnapshot>(source: readonly T[], target: readonly ListedSnapshot[]): T | null {
  const onTarget = new Set(target.map((s) => s.guid))
  for (let i = source.length - 1; i >= 0; i--) if (onTarget.has(source[i]!.guid)) return source[i]!
  return null
}

/** Target snapshots newer than the newest common one: a receive without -F cannot go over them. */
export function divergedSnapshots<T extends ListedSnapshot>(source: readonly ListedSnapshot[], target: readonly T[]): T[] {
  const common = newestCommon(source, target)
  if (!common) return []
  const idx = target.findIndex((s) => s.guid === common.guid)
  return target.slice(idx + 1)
}

/**
 * Target snapshots the source has pruned, older than the newest common one. Destroying these is what
 * --delete-target-snapshots means; the newest common snapshot (the base of the next incremental) and
 * anything after it are never in this list.
 */
export function prunedOnSource<T extends ListedSnapshot>(source: readonly ListedSnapshot[], target: readonly T[]): T[] {
  const common = newestCommon(source, target)
  if (!common) return []
  const onSource = new Set(source.map((s) => s.guid))
  const idx = target.findIndex((s) => s.guid === common.guid)
  return target.slice(0, idx).filter((s) => !onSource.has(s.guid))
}

/** Both sides of every pair from one `zfs list` and one `zfs get` (the target's pool is imported by then). */
export interface Sides {
  listings: Map<string, DatasetListing>
  props: Map<string, DatasetProperties>
}

export async function readSides(runner: Runner, pairs: readonly { source: string; target: string }[], known?: Map<string, DatasetProperties>): Promise<Sides> {
  const datasets = pairs.flatMap((p) => [p.source, p.target])
  const [listings, props] = await Promise.all([listForReplication(runner, datasets), known ?? getManyProperties(runner, datasets)])
  return { listings, props }
}

/**
 * The plan for one pair, as syncoid --no-sync-snap --no-rollback would send it: a first copy is a full
 * stream of the oldest snapshot and then -I up to the newest; a later one is -I from the newest common
 * snapshot. Never -F, never a sync snapshot of our own.
 */
export function resolvePlan(source: string, target: string, sides: Sides, poolGuid?: string): ReplicationPlan {
  const src = sides.listings.get(source)
  const sourceProps = sides.props.get(source)
  if (!src?.exists || !sourceProps) throw new EngineError('source-missing', `The source dataset ${source} does not exist.`)
  const newest = src.snapshots.at(-1)
  if (!newest) throw new EngineError('no-source-snapshots', `${source} has no snapshots yet.`, 'Backups copy sanoid\'s snapshots; check that sanoid runs (sanoid --take-snapshots) for this dataset.')
  const tgt = sides.listings.get(target)
  const base = { source, target, newest: newest.snapshot, sourceSnapshots: src.snapshots, sourceBookmarks: src.bookmarks, sourceProps, totalBytes: null }
  if (!tgt?.exists) {
    const oldest = src.snapshots[0]!
    const transfers: Transfer[] = [{ base: { kind: 'full' }, to: oldest.name, estimateBytes: null }]
    if (oldest !== newest) transfers.push({ base: { kind: 'incremental', from: oldest.name, intermediates: true }, to: newest.name, estimateBytes: null })
    return { ...base, targetExists: false, resumeToken: null, common: null, transfers, targetSnapshots: [] }
  }
  const props = sides.props.get(target)
  if (!props) throw new EngineError('command-failed', `zfs get printed nothing for ${target}.`)
  // A target that is only a partial first receive is its token and nothing else: the token is judged
  // (a decrypted stream is refused and discarded, settleResume), then the first copy is sent raw.
  const onlyPartial = props.receiveResumeToken !== null && tgt.snapshots.length === 0
  if (sourceProps.encrypted && !props.encrypted && !onlyPartial) {
    throw new EngineError('target-unencrypted', `${target} on the drive is not encrypted, but ${source} is.`, 'A raw backup must land in an encrypted copy of the source. Nothing was changed; choose another target dataset (it will be created by the first backup).')
  }
  if (props.keystatus === 'available') {
    throw new EngineError('drive-open-for-restore', `The key of ${target} is loaded: the drive is open for a restore.`, 'Close the restore (restore close) first; a backup never runs into an unlocked copy.')
  }
  const token = props.receiveResumeToken
  const common = newestCommon(src.snapshots, tgt.snapshots)
  // Sanoid pruned every snapshot the two shared: this drive's bookmark on the laptop still marks the
  // drive's newest, so the backup stays incremental (-i #bookmark to the next snapshot, then -I).
  const kept = !common && poolGuid ? incrementalBase(src.snapshots, currentBookmark(src.bookmarks, poolGuid), tgt.snapshots) : null
  if (kept?.kind === 'bookmark') {
    const transfers: Transfer[] = [{ base: { kind: 'incremental', from: kept.from.name, intermediates: false }, to: kept.next.name, estimateBytes: null }]
    if (kept.next.guid !== newest.guid) transfers.push({ base: { kind: 'incremental', from: kept.next.name, intermediates: true }, to: newest.name, estimateBytes: null })
    return { ...base, targetExists: true, resumeToken: token, common: null, transfers, targetSnapshots: tgt.snapshots }
  }
  if (!common && tgt.snapshots.length > 0) {
    throw new EngineError('no-common-snapshot', `${target} on the drive shares no snapshot with ${source}.`, 'The drive holds a copy of something else, or the laptop pruned every snapshot the drive has. Nothing was changed; a fresh full copy needs a new target dataset.')
  }
  const diverged = divergedSnapshots(src.snapshots, tgt.snapshots)
  if (diverged.length > 0 && !token) {
    throw new EngineError('target-diverged', `${target} has snapshots newer than the last one it shares with ${source}: ${diverged.map((s) => s.snapshot).join(', ')}.`, 'Something was snapshotted on the drive itself. Nothing was changed; remove those snapshots by hand if they are not needed.')
  }
  const transfers: Transfer[] = []
  if (!common) {
    // Only a partial first copy (its resume token) is there: once it is dealt with, this is a first copy.
    const oldest = src.snapshots[0]!
    transfers.push({ base: { kind: 'full' }, to: oldest.name, estimateBytes: null })
    if (oldest !== newest) transfers.push({ base: { kind: 'incremental', from: oldest.name, intermediates: true }, to: newest.name, estimateBytes: null })
  } else if (common.guid !== newest.guid) {
    transfers.push({ base: { kind: 'incremental', from: common.name, intermediates: true }, to: newest.name, estimateBytes: null })
  }
  return { ...base, targetExists: true, resumeToken: token, common: common?.snapshot ?? null, transfers, targetSnapshots: tgt.snapshots }
}

/** Fills in `zfs send -nvP` estimates (the syncoid path's byte total, and what a dry run shows). */
export async function estimatePlan(runner: Runner, plan: ReplicationPlan, raw: boolean): Promise<ReplicationPlan> {
  const transfers: Transfer[] = []
  for (const t of plan.transfers) {
    const r = await runner.run(sendArgv(t.base, t.to, { raw, dryRun: true }))
    transfers.push({ ...t, estimateBytes: parseSendEstimate(`${r.stdout}\n${r.stderr}`) ?? 0 })
  }
  return { ...plan, transfers, totalBytes: transfers.reduce((a, t) => a + (t.estimateBytes ?? 0), 0) }
}

/** What the target holds once every transfer went through: what it had, plus every source snapshot sent. */
export function targetAfter(plan: ReplicationPlan): ListedSnapshot[] {
  if (plan.transfers.length === 0) return plan.targetSnapshots
  const last = plan.transfers.at(-1)!
  const first = plan.transfers[0]!
  // From a bookmark, the first snapshot sent is the transfer's own; from a snapshot, the one after it.
  const from = first.base.kind === 'incremental' ? first.base.from : null
  const fromIdx = from === null ? 0 : from.includes('#') ? plan.sourceSnapshots.findIndex((s) => s.name === first.to) : plan.sourceSnapshots.findIndex((s) => s.name === from) + 1
  const toIdx = plan.sourceSnapshots.findIndex((s) => s.name === last.to)
  const sent = plan.sourceSnapshots.slice(fromIdx, toIdx + 1).map((s) => ({ ...s, name: `${plan.target}@${s.snapshot}`, dataset: plan.target }))
  return [...plan.targetSnapshots, ...sent]
}
