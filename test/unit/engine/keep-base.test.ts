// The kept base: which bookmark a drive's next backup can start from, and how it moves after a run.
import { describe, expect, it } from 'vitest'
import { currentBookmark, driveBookmarkName, incrementalBase, moveBookmark } from '../../../main/engine/keep-base'
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
