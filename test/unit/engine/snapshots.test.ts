// Snapshots on both sides, matched by GUID, on listings captured from real OpenZFS: the source before
// the laptop pruned its oldest snapshot, the drive after it received a newer one and pruned too.
import { describe, expect, it } from 'vitest'
import { snapshotTimeline } from '../../../main/engine/snapshots'
import { parseSnapshotList } from '../../../main/system/zfs'
import { fixture } from '../system/fixtures'

const source = parseSnapshotList(fixture('zfs-list-snapshots-source.txt'))
const drive = parseSnapshotList(fixture('zfs-list-snapshots-target-after-prune.txt'))
const short = (name: string) => name.replace(/^autosnap_2026-11-27_(\d\d):00:00_hourly$/, '$1h')

describe('snapshot timeline', () => {
  it('one row per snapshot, newest first, saying where each exists', () => {
    const rows = snapshotTimeline(source, drive).map((r) => [short(r.snapshot), r.onSource, r.onDrive])
    expect(rows).toEqual([
      ['03h', false, true],
      ['02h', true, true],
      ['01h', true, true],
      ['00h', true, false],
    ])
  })

  it('matches by GUID, not by name: a same-named snapshot with another GUID is another snapshot', () => {
    const impostor = drive.map((s, i) => (i === 0 ? { ...s, guid: '1' } : s))
    const rows = snapshotTimeline(source, impostor).filter((r) => short(r.snapshot) === '01h')
    expect(rows.map((r) => [r.guid, r.onSource, r.onDrive]).sort()).toEqual([['1', false, true], [source[1]!.guid, true, false]].sort())
  })

  it('a drive that was not read marks every row unknown on the drive side', () => {
    const rows = snapshotTimeline(source, null)
    expect(rows.map((r) => r.onDrive)).toEqual([null, null, null])
    expect(rows[0]).toEqual({ snapshot: 'autosnap_2026-11-27_02:00:00_hourly', guid: '2063594860801958916', createdAt: new Date(1795757136_000).toISOString(), onSource: true, onDrive: null })
  })
})
