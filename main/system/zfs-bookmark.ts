// Bookmarks (`ds#name`): a snapshot's position without its data. One on the laptop per drive keeps the
// base of the drive's next incremental alive after sanoid has pruned the snapshot itself
// (`zfs send -w -i ds#bm ds@newest`). A bookmark blocks no `zfs destroy` (a hold would break sanoid).
import { assertDatasetName, assertSnapshotName } from './names'
import { compareDecimal, parseColumns } from './tabular'

export interface BookmarkInfo {
  /** Full name, `pool/ds#name`. */
  name: string
  dataset: string
  bookmark: string
  /** The guid of the snapshot it was made from: what an incremental's receiver matches. */
  guid: string
  createtxg: string
}

const COMPONENT = /^[A-Za-z0-9_\-.: ]+$/

/** Throws unless `name` is `dataset#bookmark` with valid parts. */
export function assertBookmarkName(name: string): string {
  const hash = name.indexOf('#')
  const part = name.slice(hash + 1)
  if (hash < 0 || name.indexOf('#', hash + 1) >= 0 || !COMPONENT.test(part) || part === '.' || part === '..') {
    throw new Error(`bookmark name ${JSON.stringify(name)}: must be dataset#name (letters, digits, '_', '-', '.', ':' and space)`)
  }
  assertDatasetName(name.slice(0, hash), 'bookmark dataset')
  return name
}

export function listBookmarksArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'list', '-Hp', '-t', 'bookmark', '-o', 'name,guid,createtxg', '-d', '1', dataset]
}

/** The bookmarks of a `zfs list -Hp -o name,guid,createtxg[,…]` listing (snapshot rows are skipped), oldest first. */
export function parseBookmarks(stdout: string): BookmarkInfo[] {
  const rows = stdout.split('\n').filter((l) => l.split('\t')[0]?.includes('#'))
  return parseColumns(rows.map((r) => r.split('\t').slice(0, 3).join('\t')).join('\n'), ['name', 'guid', 'createtxg'] as const, 'zfs list -t bookmark')
    .map((row) => {
      if (!/^\d+$/.test(row.guid) || !/^\d+$/.test(row.createtxg)) throw new Error(`zfs list -t bookmark: non-numeric guid/createtxg for ${row.name}`)
      const hash = row.name.indexOf('#')
      return { name: row.name, dataset: row.name.slice(0, hash), bookmark: row.name.slice(hash + 1), guid: row.guid, createtxg: row.createtxg }
    })
    .sort((a, b) => compareDecimal(a.createtxg, b.createtxg))
}

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
