// What a drive's next backup will be based on, and when it would have to be a full send: asked by
// `status`, `doctor` and the window. Pure: the shells pass what they listed.
import type { BookmarkInfo, ListedSnapshot } from '../system/zfs'
import { currentBookmark } from './keep-base'

export type NextBase =
  /** Incremental from a snapshot the laptop still has; `bookmark` keeps it so after sanoid prunes it. */
  | { kind: 'snapshot'; snapshot: string; bookmark: string | null }
  /** The laptop pruned the drive's newest snapshot; this drive's bookmark still marks it. */
  | { kind: 'bookmark'; bookmark: string }
  | { kind: 'full'; reason: string }
  | { kind: 'unknown' }

/** `driveNewest`: the drive's newest snapshot (read live, or from the last verified run); null if never backed up. */
export function nextBase(source: readonly ListedSnapshot[], bookmarks: readonly BookmarkInfo[], poolGuid: string, driveNewest: { snapshot: string; guid: string } | null | undefined): NextBase {
  if (driveNewest === undefined) return { kind: 'unknown' }
  if (driveNewest === null) return { kind: 'full', reason: 'the drive has no copy yet' }
  const mark = currentBookmark(bookmarks, poolGuid)
  const kept = mark?.guid === driveNewest.guid ? mark.name : null
  if (source.some((s) => s.guid === driveNewest.guid)) return { kind: 'snapshot', snapshot: driveNewest.snapshot, bookmark: kept }
  if (kept) return { kind: 'bookmark', bookmark: kept }
  return { kind: 'full', reason: `the laptop no longer has @${driveNewest.snapshot}, nor a bookmark of it` }
}

/** One sentence for people; `fullBytes` is the size a full send would have (about). */
export function describeNextBase(b: NextBase, fullBytes: number | null, format: (bytes: number) => string): string {
  const size = fullBytes === null ? 'a full send' : `a full send of about ${format(fullBytes)}`
  switch (b.kind) {
    case 'snapshot':
      return b.bookmark
        ? `incremental from @${b.snapshot}; it stays incremental after sanoid prunes @${b.snapshot} (bookmark ${b.bookmark.split('#')[1]}); ${size} only if that bookmark is removed`
        : `incremental from @${b.snapshot}; once the laptop prunes @${b.snapshot} it becomes ${size}`
    case 'bookmark':
      return `incremental from bookmark ${b.bookmark.split('#')[1]} (the laptop pruned the snapshot itself); ${size} only if that bookmark is removed`
    case 'full':
      return `${size}: ${b.reason}`
    case 'unknown':
      return 'unknown until the drive is read'
  }
}
