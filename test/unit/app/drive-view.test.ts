// The window's drive card says what the drive's next backup starts from, and when it would have to be a
// full send with its size: the same engine sentence as `status`, folded from the laptop's bookmarks.
import { describe, expect, it } from 'vitest'
import { driveView } from '../../../main/app/drive-view'
import { configSchema } from '../../../main/config/schema'
import { driveStatus, type DriveFacts } from '../../../main/engine/drive-status'
import { driveBookmarkName } from '../../../main/engine/keep-base'
import type { BookmarkInfo, SnapshotInfo } from '../../../main/system/zfs'

const POOL = '13251836079750056283'
const config = configSchema.parse({
  version: 1,
  sources: [{ dataset: 'rpool/home' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: POOL, disk: '/dev/disk/by-id/usb-Samsung_T7_1-0:0', targets: { 'rpool/home': 'backup/home' } }],
})
const drive = config.drives[0]!
const snap = (ds: string, name: string, guid: string, txg: number): SnapshotInfo => ({ name: `${ds}@${name}`, dataset: ds, snapshot: name, guid, createtxg: String(txg), creation: 1_700_000_000 + txg })
const mark = (guid: string, txg: number): BookmarkInfo => {
  const name = driveBookmarkName('rpool/home', POOL, String(txg))
  return { name, dataset: 'rpool/home', bookmark: name.split('#')[1]!, guid, createtxg: String(txg) }
}
const c = snap('rpool/home', 'autosnap_c', '1003', 30)
const d = snap('rpool/home', 'autosnap_d', '1004', 40)
const view = (facts: DriveFacts) => driveView({ drive, status: driveStatus(config, drive, [], facts, Date.now()), staleAfterDays: 7, presence: 'imported', busyHolders: null, busy: null, watching: true })
const GiB = 3 * 1024 ** 3

describe('the drive card\'s next backup', () => {
  it('incremental from the drive\'s newest snapshot, kept by this drive\'s bookmark: a full send only if that goes', () => {
    const v = view({ source: new Map([['rpool/home', [c, d]]]), drive: new Map([['backup/home', [snap('backup/home', 'autosnap_d', '1004', 41)]]]), bookmarks: new Map([['rpool/home', [mark('1004', 40)]]]), fullBytes: new Map([['rpool/home', GiB]]) })
    expect(v.nextBackup).toEqual([`incremental from @autosnap_d; it stays incremental after sanoid prunes @autosnap_d (bookmark zfs-drive-backup-${POOL}-40); a full send of about 3.0 GiB only if that bookmark is removed`])
  })

  it('from the bookmark once the laptop pruned every snapshot the drive has', () => {
    const v = view({ source: new Map([['rpool/home', [d]]]), drive: new Map([['backup/home', [snap('backup/home', 'autosnap_c', '1003', 31)]]]), bookmarks: new Map([['rpool/home', [mark('1003', 30)]]]), fullBytes: new Map([['rpool/home', GiB]]) })
    expect(v.nextBackup).toEqual([`incremental from bookmark zfs-drive-backup-${POOL}-30 (the laptop pruned the snapshot itself); a full send of about 3.0 GiB only if that bookmark is removed`])
  })

  it('a full send, with its size, when neither the snapshot nor a bookmark of it is left', () => {
    const v = view({ source: new Map([['rpool/home', [d]]]), drive: new Map([['backup/home', [snap('backup/home', 'autosnap_c', '1003', 31)]]]), bookmarks: new Map([['rpool/home', []]]), fullBytes: new Map([['rpool/home', GiB]]) })
    expect(v.nextBackup).toEqual(['a full send of about 3.0 GiB: the laptop no longer has @autosnap_c, nor a bookmark of it'])
  })

  it('nothing said while the laptop\'s bookmarks were not read', () => {
    expect(view({ source: new Map([['rpool/home', [d]]]), drive: null }).nextBackup).toBeNull()
  })
})
