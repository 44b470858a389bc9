// The drive status query both shells ask (CLI `status`, the tray's drive card), on snapshot listings
// captured from real OpenZFS.
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../../main/config/schema'
import { driveStatus, lastBackupAt, snapshotSummary, type DriveFacts } from '../../../main/engine/drive-status'
import { parseSnapshotList } from '../../../main/system/zfs'
import type { RunRecord } from '../../../shared/run-record'
import { fixture } from '../system/fixtures'

const source = parseSnapshotList(fixture('zfs-list-snapshots-source.txt'))
const target = parseSnapshotList(fixture('zfs-list-snapshots-target.txt'))
const config = configSchema.parse({
  version: 1,
  sources: [{ dataset: 'tank/data' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: '13251836079750056283', disk: '/dev/disk/by-id/usb-Samsung_T7_1-0:0', targets: { 'tank/data': 'backup/data' } }],
  staleAfterDays: 7,
  scrubEveryDays: 30,
})
const drive = config.drives[0]!
const NOW = Date.parse('2026-12-01T12:00:00Z')

function backupRun(finishedAt: string, replicated: RunRecord['replicated'] = [], over: Partial<RunRecord> = {}): RunRecord {
  return { id: finishedAt, verb: 'backup', drive: 'T7', startedAt: finishedAt, finishedAt, outcome: 'succeeded', durationMs: 1, bytes: 1, steps: [], warnings: [], error: null, replicated, ...over }
}

const notRead: DriveFacts = { source: new Map([['tank/data', source]]), drive: null }
const live: DriveFacts = { source: new Map([['tank/data', source]]), drive: new Map([['backup/data', target]]) }

describe('drive status', () => {
  it('a drive never backed up says never, is due, and its lag is unknown until the drive is read', () => {
    const r = driveStatus(config, drive, [], notRead, NOW)
    expect(r).toMatchObject({ lastBackupAt: null, stale: true, scrubDue: true })
    expect(r.targets).toEqual([{ source: 'tank/data', target: 'backup/data', sourceNewest: 'autosnap_2026-11-27_02:00:00_hourly', driveNewest: null, missingOnDrive: null, from: 'unknown' }])
  })

  it('an imported drive is read live: the same GUIDs on both sides are up to date', () => {
    const r = driveStatus(config, drive, [], live, NOW)
    expect(r.targets[0]).toMatchObject({ driveNewest: 'autosnap_2026-11-27_02:00:00_hourly', missingOnDrive: 0, from: 'live' })
  })

  it('an imported drive without the target yet lacks every source snapshot', () => {
    const r = driveStatus(config, drive, [], { ...live, drive: new Map([['backup/data', []]]) }, NOW)
    expect(r.targets[0]).toMatchObject({ driveNewest: null, missingOnDrive: 3, from: 'live' })
  })

  it('otherwise the last verified copy in the history tells how far behind the drive is', () => {
    const s1 = source[1]!
    const runs = [backupRun('2026-11-30T12:00:00.000Z', [{ source: 'tank/data', target: 'backup/data', snapshot: s1.snapshot, guid: s1.guid }])]
    const r = driveStatus(config, drive, runs, notRead, NOW)
    expect(r).toMatchObject({ lastBackupAt: '2026-11-30T12:00:00.000Z', stale: false })
    expect(r.targets[0]).toMatchObject({ driveNewest: s1.snapshot, missingOnDrive: 1, from: 'history' })
  })

  it('a drive newest the laptop has pruned since means every laptop snapshot is missing', () => {
    const runs = [backupRun('2026-11-30T12:00:00.000Z', [{ source: 'tank/data', target: 'backup/data', snapshot: 'autosnap_2026-11-20_00:00:00_hourly', guid: '42' }])]
    expect(driveStatus(config, drive, runs, notRead, NOW).targets[0]).toMatchObject({ missingOnDrive: 3, from: 'history' })
  })

  it('due once the last backup is older than staleAfterDays; failed runs and other drives do not count', () => {
    const runs = [
      backupRun('2026-11-30T00:00:00.000Z', [], { outcome: 'failed' }),
      backupRun('2026-11-29T00:00:00.000Z', [], { drive: 'other' }),
      backupRun('2026-11-20T00:00:00.000Z'),
    ]
    expect(lastBackupAt(runs, 'T7')).toBe('2026-11-20T00:00:00.000Z')
    expect(driveStatus(config, drive, runs, notRead, NOW).stale).toBe(true)
    expect(driveStatus(config, drive, runs, notRead, Date.parse('2026-11-25T00:00:00Z')).stale).toBe(false)
  })

  it('the drive card adds up what every target misses, unknown if any is', () => {
    const two = { ...drive, targets: { 'tank/data': 'backup/data', 'tank/other': 'backup/other' } }
    const facts: DriveFacts = { source: new Map([['tank/data', source], ['tank/other', source.slice(0, 2)]]), drive: new Map([['backup/data', target.slice(0, 1)], ['backup/other', []]]) }
    const r = driveStatus(config, two, [], facts, NOW)
    expect(snapshotSummary(r)).toEqual({ sourceNewest: 'autosnap_2026-11-27_02:00:00_hourly', driveNewest: 'autosnap_2026-11-27_00:00:00_hourly', missingOnDrive: 2 + 2 })
    expect(snapshotSummary(driveStatus(config, two, [], { ...facts, drive: null }, NOW)).missingOnDrive).toBeNull()
  })
})
