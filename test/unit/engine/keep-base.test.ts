// The kept base: which bookmark a drive's next backup can start from, and how it moves after a run.
import { describe, expect, it } from 'vitest'
import { currentBookmark, driveBookmarkName, incrementalBase, moveBookmark } from '../../../main/engine/keep-base'
import { describeNextBase, nextBase } from '../../../main/engine/next-base'
import type { BookmarkInfo, SnapshotInfo } from '../../../main/system/zfs'

const POOL = '13251836079750056283'
const OTHER = '9930527645254982367'
const s = (ds: string, name: string, guid: string, txg: number): SnapshotInfo => ({ name: `${ds}@${name}`, dataset: ds, snapshot: name, guid, createtxg: String(txg), creation: txg })
const bm = (pool: string, guid: string, txg: number): BookmarkInfo => {
  const name = driveBookmarkName('rpool/home', pool, String(txg))
  return { name, dataset: 'rpool/home', bookmark: name.split('#')[1]!, guid, createtxg: String(txg) }
}
const [a, b, c, d] = [s('rpool/home', 'a', '18446744073709551001', 10), s('rpool/home', 'b', '18446744073709551002', 20), s('rpool/home', 'c', '18446744073709551003', 30), s('rpool/home', 'd', '18446744073709551004', 40)]
const onDrive = (...xs: SnapshotInfo[]) => xs.map((x) => s('backup/home', x.snapshot, x.guid, x.creation + 1))

describe('the bookmark each drive keeps on the laptop', () => {
  it('is named from the drive\'s pool GUID, and only this drive\'s count', () => {
    expect(driveBookmarkName('rpool/home', POOL, '20')).toBe(`rpool/home#zfs-drive-backup-${POOL}-20`)
    const foreign = bm(OTHER, b.guid, 20)
    const unrelated: BookmarkInfo = { name: 'rpool/home#syncoid_x', dataset: 'rpool/home', bookmark: 'syncoid_x', guid: c.guid, createtxg: '30' }
    expect(currentBookmark([foreign, unrelated, bm(POOL, a.guid, 10)], POOL)?.guid).toBe(a.guid)
    expect(currentBookmark([foreign, unrelated], POOL)).toBeNull()
  })

  it('moves to the newest snapshot after a run: the new one first, then the old ones go', () => {
    const old = bm(POOL, b.guid, 20)
    const foreign = bm(OTHER, b.guid, 20)
    expect(moveBookmark([old, foreign], POOL, d)).toEqual({ create: { snapshot: 'rpool/home@d', bookmark: `rpool/home#zfs-drive-backup-${POOL}-40` }, destroy: [old.name] })
  })

  it('stays put when it already marks the newest snapshot (a no-op run changes nothing)', () => {
    const cur = bm(POOL, d.guid, 40)
    expect(moveBookmark([cur], POOL, d)).toEqual({ create: null, destroy: [] })
    expect(moveBookmark([bm(POOL, a.guid, 10), cur], POOL, d)).toEqual({ create: null, destroy: [bm(POOL, a.guid, 10).name] })
  })
})

describe('where the next incremental starts', () => {
  it('from the newest common snapshot while there is one', () => {
    expect(incrementalBase([b, c, d], bm(POOL, b.guid, 20), onDrive(a, b, c))).toEqual({ kind: 'snapshot', from: c })
  })

  it('from the bookmark when sanoid pruned every snapshot the drive shares with the laptop', () => {
    const mark = bm(POOL, b.guid, 20)
    expect(incrementalBase([c, d], mark, onDrive(a, b))).toEqual({ kind: 'bookmark', from: mark, next: c })
  })

  it('not from a bookmark the drive\'s newest snapshot is not (the receive would refuse it)', () => {
    expect(incrementalBase([c, d], bm(POOL, a.guid, 10), onDrive(a, b))).toEqual({ kind: 'none' })
    expect(incrementalBase([c, d], null, onDrive(a, b))).toEqual({ kind: 'none' })
  })
})

describe('what status and doctor say the next backup starts from', () => {
  const fmt = (n: number) => `${n} B`
  it('a snapshot the laptop still has, kept by the bookmark', () => {
    const b = nextBase([c, d], [bm(POOL, d.guid, 40)], POOL, { snapshot: 'd', guid: d.guid })
    expect(b).toEqual({ kind: 'snapshot', snapshot: 'd', bookmark: bm(POOL, d.guid, 40).name })
    expect(describeNextBase(b, 1000, fmt)).toBe(`incremental from @d; it stays incremental after sanoid prunes @d (bookmark zfs-drive-backup-${POOL}-40); a full send of about 1000 B only if that bookmark is removed`)
  })
  it('a snapshot without a bookmark says when it becomes full', () => {
    expect(describeNextBase(nextBase([c, d], [], POOL, { snapshot: 'd', guid: d.guid }), 1000, fmt)).toBe('incremental from @d; once the laptop prunes @d it becomes a full send of about 1000 B')
  })
  it('the bookmark once sanoid pruned the snapshot, else a full send with its size', () => {
    expect(nextBase([d], [bm(POOL, c.guid, 30)], POOL, { snapshot: 'c', guid: c.guid })).toEqual({ kind: 'bookmark', bookmark: bm(POOL, c.guid, 30).name })
    const full = nextBase([d], [bm(OTHER, c.guid, 30)], POOL, { snapshot: 'c', guid: c.guid })
    expect(describeNextBase(full, 5, fmt)).toBe('a full send of about 5 B: the laptop no longer has @c, nor a bookmark of it')
    expect(nextBase([d], [], POOL, null)).toEqual({ kind: 'full', reason: 'the drive has no copy yet' })
    expect(nextBase([d], [], POOL, undefined)).toEqual({ kind: 'unknown' })
  })
})
