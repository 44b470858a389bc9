// Snapshots on both sides, and where each exists: one timeline per configured source → target. A raw
// send keeps a snapshot's GUID, so the laptop's and the drive's copies of one snapshot are matched by
// GUID (a same-named snapshot with another GUID is a different snapshot). Snapshots the laptop has pruned
// but the drive keeps belong on the same timeline. The CLI's `snapshots` and the window's list use this.
import { existsSync } from 'node:fs'
import type { DriveConfig } from '../config/schema'
import type { SnapshotTimeline, TimelineRow } from '../../shared/wire'
import type { Runner } from '../system/runner'
import { listSnapshots, type BookmarkInfo, type SnapshotInfo } from '../system/zfs'
import { exportArgv, importByGuidArgv, listPools } from '../system/zpool'
import { importedDrives, readKeptBases, readTargetSnapshots } from './drive-status'
import { currentBookmark } from './keep-base'
import { newestCommon } from './plan'
import { applyKeepPolicy, applyMirror, type Retention } from './retention'

const iso = (s: SnapshotInfo): string => new Date(s.creation * 1000).toISOString()

/**
 * Newest first. `drive` is null when the drive could not be read: every row's onDrive is then null. With
 * `retention`, each drive snapshot says whether the drive's retention keeps it at the next backup.
 */
export function snapshotTimeline(source: readonly SnapshotInfo[], drive: readonly SnapshotInfo[] | null, retention?: { retention: Retention; poolGuid: string; bookmarks: readonly BookmarkInfo[] }): TimelineRow[] {
  const pruned = drive && retention ? toBePruned(source, drive, retention) : null
  const onDrive = new Set((drive ?? []).map((s) => s.guid))
  const onSource = new Set(source.map((s) => s.guid))
  const row = (s: SnapshotInfo, laptop: boolean): TimelineRow & { creation: number } => ({
    snapshot: s.snapshot, createdAt: iso(s), guid: s.guid, onSource: laptop, onDrive: drive ? onDrive.has(s.guid) : null, creation: s.creation,
    ...(pruned && onDrive.has(s.guid) ? { retention: pruned.has(s.guid) ? ('prune' as const) : ('keep' as const) } : {}),
  })
  const rows = [...source.map((s) => row(s, true)), ...(drive ?? []).filter((s) => !onSource.has(s.guid)).map((s) => row(s, false))]
  // Stable: equal creation seconds keep the listing's createtxg order.
  return rows.reverse().sort((a, b) => b.creation - a.creation).map(({ creation: _c, ...r }) => r)
}

/**
 * Guids of the drive's snapshots its retention would remove at the next backup. The prune step decides
 * after the send, so the drive is taken as it will be then: with the laptop's snapshots newer than their
 * newest common one added (a keep policy of 3 hourly drops the oldest hour when a fourth arrives).
 */
function toBePruned(source: readonly SnapshotInfo[], drive: readonly SnapshotInfo[], r: { retention: Retention; poolGuid: string; bookmarks: readonly BookmarkInfo[] }): Set<string> {
  const common = newestCommon(source, drive)
  const coming = common ? source.slice(source.indexOf(common) + 1) : []
  // Oldest first, numbered in that order: the source's createtxg says nothing about the drive's.
  const after = [...drive, ...coming].map((s, i) => ({ ...s, createtxg: String(i) }))
  const protect = { newestCommonGuid: (coming.at(-1) ?? common)?.guid ?? null, bookmarkGuid: currentBookmark(r.bookmarks, r.poolGuid)?.guid ?? null }
  const d = r.retention === 'mirror' ? applyMirror(after, new Set(source.map((s) => s.guid)), protect) : applyKeepPolicy(after, r.retention, protect)
  return new Set(d.prune.map((s) => s.guid))
}

/** Why the drive's side is missing: unplugged, or plugged in but not imported (reading it needs root). */
export type DriveUnread = 'not-connected' | 'not-imported'

export interface DriveSnapshots {
  /** Per configured source → target, oldest first. `drive` is null when the pool could not be read. */
  pairs: { source: string; target: string; sourceSnapshots: SnapshotInfo[]; driveSnapshots: SnapshotInfo[] | null }[]
  unread: DriveUnread | null
  /** The drive's retention and the laptop's bookmarks, to mark what the next backup would prune. */
  retention?: { retention: Retention; poolGuid: string; bookmarks: Map<string, BookmarkInfo[]> }
}

/**
 * Both sides of every target. An imported pool is read as it is. With `importReadOnly` (the CLI as root)
 * a connected pool is imported read-only for the listing and exported again; otherwise it stays unread.
 */
export async function readDriveSnapshots(runner: Runner, drive: DriveConfig, o: { importReadOnly: boolean }): Promise<DriveSnapshots> {
  const pairs: DriveSnapshots['pairs'] = []
  for (const [source, target] of Object.entries(drive.targets)) pairs.push({ source, target, sourceSnapshots: await listSnapshots(runner, source), driveSnapshots: null })
  const kept = await readKeptBases(runner, pairs.map((p) => p.source), { sizes: false })
  const retention = { retention: drive.retention ?? 'mirror', poolGuid: drive.poolGuid, bookmarks: new Map([...(kept.bookmarks ?? new Map<string, readonly BookmarkInfo[]>())].map(([k, v]) => [k, [...v]])) }
  const fill = (byTarget: Map<string, SnapshotInfo[]>): DriveSnapshots => ({ pairs: pairs.map((p) => ({ ...p, driveSnapshots: byTarget.get(p.target) ?? [] })), unread: null, retention })
  if ((await importedDrives(runner, [drive]).catch(() => new Set<string>())).has(drive.name)) return fill(await readTargetSnapshots(runner, drive))
  if (!existsSync(drive.disk)) return { pairs, unread: 'not-connected' }
  if (!o.importReadOnly) return { pairs, unread: 'not-imported' }
  // The pool is the drive's by GUID: never imported beside another pool carrying its name, read only
  // when it has the configured name (the targets are named in it), exported by the name the GUID has.
  if ((await listPools(runner)).some((p) => p.name === drive.pool)) return { pairs, unread: 'not-imported' }
  await runner.run(importByGuidArgv(drive.poolGuid, undefined, { readonly: true }))
  const name = (await listPools(runner)).find((p) => p.guid === drive.poolGuid)?.name
  try {
    if (name !== drive.pool) return { pairs, unread: 'not-imported' }
    return fill(await readTargetSnapshots(runner, drive))
  } finally {
    if (name) await runner.run(exportArgv(name))
  }
}

export function timelines(s: DriveSnapshots): SnapshotTimeline[] {
  return s.pairs.map((p) => ({
    source: p.source, target: p.target,
    rows: snapshotTimeline(p.sourceSnapshots, p.driveSnapshots, s.retention ? { retention: s.retention.retention, poolGuid: s.retention.poolGuid, bookmarks: s.retention.bookmarks.get(p.source) ?? [] } : undefined),
  }))
}
