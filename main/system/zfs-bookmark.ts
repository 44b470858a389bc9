// Bookmarks (`ds#name`): a snapshot's position without its data. One on the laptop per drive keeps the
// base of the drive's next incremental alive after sanoid has pruned the snapshot itself
// (`zfs send -w -i ds#bm ds@next`). A bookmark blocks no `zfs destroy` (a hold would break sanoid).
// They are listed with the snapshots (zfs.ts listReplicationArgv, -t snapshot,bookmark).
import { assertBookmarkName, assertSnapshotName } from './names'

export function createBookmarkArgv(snapshot: string, bookmark: string): string[] {
  assertSnapshotName(snapshot, 'bookmark source')
  assertBookmarkName(bookmark)
  if (snapshot.split('@')[0] !== bookmark.split('#')[0]) throw new Error(`bookmark ${bookmark} must be on the dataset of ${snapshot}`)
  return ['zfs', 'bookmark', snapshot, bookmark]
}

/** Destroys exactly one bookmark. */
export function destroyBookmarkArgv(bookmark: string): string[] {
  assertBookmarkName(bookmark)
  return ['zfs', 'destroy', bookmark]
}
