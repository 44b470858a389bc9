// The kept base: after each verified run the laptop gets one bookmark for this drive, on the snapshot the
// drive now ends with. When sanoid later prunes every snapshot the two share, the next backup is still
// incremental, from that bookmark (`zfs send -w -i SRC#bm SRC@next`, then `-I` to the newest), instead
// of failing with "no common snapshot". Named from the drive's pool GUID, so two drives never share or
// remove each other's; the previous one is removed only after the new one exists.
import type { BookmarkInfo, ListedSnapshot } from '../system/zfs'
import { createBookmarkArgv, destroyBookmarkArgv } from '../system/zfs-bookmark'
import type { StepContext } from './pipeline'
import type { ReplicationPlan } from './plan'
import { compareDecimal } from '../system/tabular'

export const BOOKMARK_PREFIX = 'zfs-drive-backup-'

/** `zfs-drive-backup-<pool guid>-<createtxg>`: the txg keeps the new name distinct from the old one. */
export function driveBookmarkName(dataset: string, poolGuid: string, snapshotTxg: string): string {
  return `${dataset}#${BOOKMARK_PREFIX}${poolGuid}-${snapshotTxg}`
}

/** This drive's bookmarks among a dataset's, oldest first. */
export function driveBookmarks(bookmarks: readonly BookmarkInfo[], poolGuid: string): BookmarkInfo[] {
  const prefix = `${BOOKMARK_PREFIX}${poolGuid}-`
  return bookmarks.filter((b) => b.bookmark.startsWith(prefix) && /^\d+$/.test(b.bookmark.slice(prefix.length))).sort((a, b) => compareDecimal(a.createtxg, b.createtxg))
}

/** The bookmark the drive's next backup may start from: the newest of this drive's. */
export function currentBookmark(bookmarks: readonly BookmarkInfo[], poolGuid: string): BookmarkInfo | null {
  return driveBookmarks(bookmarks, poolGuid).at(-1) ?? null
}

export interface BookmarkMove {
  /** `[snapshot, bookmark]` to create, or null when the current one already marks it. */
  create: { snapshot: string; bookmark: string } | null
  /** This drive's other bookmarks, removed once the new one exists. */
  destroy: string[]
}

/** After a verified run that ends with `newest` on the drive. Pure. */
export function moveBookmark(bookmarks: readonly BookmarkInfo[], poolGuid: string, newest: ListedSnapshot): BookmarkMove {
  const mine = driveBookmarks(bookmarks, poolGuid)
  const keep = mine.find((b) => b.guid === newest.guid)
  const name = keep?.name ?? driveBookmarkName(newest.dataset, poolGuid, newest.createtxg)
  return {
    create: keep ? null : { snapshot: newest.name, bookmark: name },
    destroy: mine.filter((b) => b.name !== name).map((b) => b.name),
  }
}

export type IncrementalBase =
  | { kind: 'snapshot'; from: ListedSnapshot }
  /** Nothing shared, but the drive ends at this drive's bookmark: `-i #bm @next`, then `-I @next @newest`. */
  | { kind: 'bookmark'; from: BookmarkInfo; next: ListedSnapshot }
  | { kind: 'none' }

/**
 * Where the drive's next incremental starts. The newest common snapshot when there is one; otherwise the
 * bookmark, but only when the drive's newest snapshot is the one it marks (a receive without -F needs
 * its base to be the target's newest). Pure.
 */
export function incrementalBase(source: readonly ListedSnapshot[], bookmark: BookmarkInfo | null, target: readonly ListedSnapshot[]): IncrementalBase {
  const onTarget = new Set(target.map((s) => s.guid))
  for (let i = source.length - 1; i >= 0; i--) if (onTarget.has(source[i]!.guid)) return { kind: 'snapshot', from: source[i]! }
  if (!bookmark || target.at(-1)?.guid !== bookmark.guid) return { kind: 'none' }
  const next = source.find((s) => compareDecimal(s.createtxg, bookmark.createtxg) > 0)
  return next ? { kind: 'bookmark', from: bookmark, next } : { kind: 'none' }
}

/** Moves each source's bookmark for this drive to the snapshot the drive now ends with. */
export async function keepBases(ctx: StepContext, plans: readonly ReplicationPlan[], poolGuid: string): Promise<{ created: number; removed: number }> {
  let created = 0
  let removed = 0
  for (const p of plans) {
    const newest = p.sourceSnapshots.at(-1)
    if (!newest) continue
    const move = moveBookmark(p.sourceBookmarks, poolGuid, newest)
    if (move.create) {
      await ctx.runner.run(createBookmarkArgv(move.create.snapshot, move.create.bookmark))
      created++
    }
    for (const b of move.destroy) {
      await ctx.runner.run(destroyBookmarkArgv(b))
      removed++
    }
    if (move.create) ctx.info(`${p.source}: the next backup to this drive can start from ${move.create.bookmark} (@${newest.snapshot}) even after sanoid prunes that snapshot`)
  }
  return { created, removed }
}
