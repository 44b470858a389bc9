// What a replication will send, worked out before syncoid starts: the byte total that makes progress and
// ETA honest from the first second, and the refusals syncoid would otherwise discover half-way.
import { EngineError } from './errors'
import type { Runner } from '../system/runner'
import { datasetExists, getDatasetProperties, listSnapshots, type SnapshotInfo } from '../system/zfs'
import { parseSendEstimate, sendEstimateArgv } from '../system/zfs-send'

export interface Segment {
  from: string | null
  to: string
  bytes: number
}

export interface ReplicationPlan {
  source: string
  target: string
  targetExists: boolean
  resumeToken: string | null
  /** Newest snapshot both sides hold (same guid), by name on the source. */
  common: string | null
  newest: string
  segments: Segment[]
  totalBytes: number
  /** The listings the plan was made from, oldest first: reused when nothing is sent. */
  sourceSnapshots: SnapshotInfo[]
  targetSnapshots: SnapshotInfo[]
}

/** The newest source snapshot the target also holds, matched by guid as zfs receive does. */
export function newestCommon(source: readonly SnapshotInfo[], target: readonly SnapshotInfo[]): SnapshotInfo | null {
  const onTarget = new Set(target.map((s) => s.guid))
  for (let i = source.length - 1; i >= 0; i--) if (onTarget.has(source[i]!.guid)) return source[i]!
  return null
}

/** Target snapshots newer than the newest common one: with --no-rollback syncoid cannot receive over them. */
export function divergedSnapshots(source: readonly SnapshotInfo[], target: readonly SnapshotInfo[]): SnapshotInfo[] {
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
export function prunedOnSource(source: readonly SnapshotInfo[], target: readonly SnapshotInfo[]): SnapshotInfo[] {
  const common = newestCommon(source, target)
  if (!common) return []
  const onSource = new Set(source.map((s) => s.guid))
  const idx = target.findIndex((s) => s.guid === common.guid)
  return target.slice(0, idx).filter((s) => !onSource.has(s.guid))
}

async function estimate(runner: Runner, raw: boolean, from: string | null, to: string, token?: string): Promise<number> {
  const r = await runner.run(sendEstimateArgv({ raw, from, to, token }))
  return parseSendEstimate(r.stdout + '\n' + r.stderr) ?? 0
}

export async function planReplication(runner: Runner, source: string, target: string, raw: boolean): Promise<ReplicationPlan> {
  const src = await listSnapshots(runner, source)
  const newest = src.at(-1)
  if (!newest) throw new EngineError('no-source-snapshots', `${source} has no snapshots yet.`, 'Backups copy sanoid\'s snapshots; check that sanoid runs (sanoid --take-snapshots) for this dataset.')
  const exists = await datasetExists(runner, target)
  const base: Omit<ReplicationPlan, 'segments' | 'totalBytes' | 'common' | 'targetSnapshots'> = { source, target, targetExists: exists, resumeToken: null, newest: newest.snapshot, sourceSnapshots: src }
  if (!exists) {
    const oldest = src[0]!
    const segments: Segment[] = [{ from: null, to: oldest.name, bytes: await estimate(runner, raw, null, oldest.name) }]
    if (oldest !== newest) segments.push({ from: oldest.name, to: newest.name, bytes: await estimate(runner, raw, oldest.name, newest.name) })
    return { ...base, common: null, segments, totalBytes: sum(segments), targetSnapshots: [] }
  }
  const props = await getDatasetProperties(runner, target)
  const sourceProps = await getDatasetProperties(runner, source)
  if (sourceProps.encrypted && !props.encrypted) {
    throw new EngineError('target-unencrypted', `${target} on the drive is not encrypted, but ${source} is.`, 'A raw backup must land in an encrypted copy of the source. Nothing was changed; choose another target dataset (it will be created by the first backup).')
  }
  if (props.keystatus === 'available') {
    throw new EngineError('drive-open-for-restore', `The key of ${target} is loaded: the drive is open for a restore.`, 'Close the restore (restore close) first; a backup never runs into an unlocked copy.')
  }
  const tgt = await listSnapshots(runner, target)
  const token = props.receiveResumeToken
  const common = newestCommon(src, tgt)
  if (!common && tgt.length > 0) {
    throw new EngineError('no-common-snapshot', `${target} on the drive shares no snapshot with ${source}.`, 'The drive holds a copy of something else, or the laptop pruned every snapshot the drive has. Nothing was changed; a fresh full copy needs a new target dataset.')
  }
  const diverged = divergedSnapshots(src, tgt)
  if (diverged.length > 0 && !token) {
    throw new EngineError('target-diverged', `${target} has snapshots newer than the last one it shares with ${source}: ${diverged.map((s) => s.snapshot).join(', ')}.`, 'Something was snapshotted on the drive itself. Nothing was changed; remove those snapshots by hand if they are not needed.')
  }
  const segments: Segment[] = []
  if (token) segments.push({ from: null, to: `${target} (resume)`, bytes: await estimate(runner, raw, null, '', token) })
  const from = common ?? (token ? src[0]! : null)
  if (from && from.guid !== newest.guid) segments.push({ from: from.name, to: newest.name, bytes: await estimate(runner, raw, from.name, newest.name) })
  return { ...base, resumeToken: token, common: common?.snapshot ?? null, segments, totalBytes: sum(segments), targetSnapshots: tgt }
}

const sum = (segments: readonly Segment[]): number => segments.reduce((a, s) => a + s.bytes, 0)
