import { describe, expect, it } from 'vitest'
import { readsOnly } from '../../../main/engine/backup'
import { zfsHasRawSendFix } from '../../../main/system/zpool'
import { snapshotFreshness } from '../../../main/engine/doctor'
import { exitCodeFor } from '../../../main/cli/run-events'

describe('a dry run changes nothing', () => {
  it('runs listings, estimates and the read-only import, and only prints the rest', () => {
    expect(readsOnly(['zfs', 'list', '-Hp', '-t', 'snapshot', 'rpool/home'])).toBe(true)
    expect(readsOnly(['zfs', 'send', '-n', '-v', '-P', '-w', 'rpool/home@a'])).toBe(true)
    expect(readsOnly(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '-o', 'readonly=on', '123'])).toBe(true)
    expect(readsOnly(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '123'])).toBe(false)
    expect(readsOnly(['zfs', 'send', '-w', 'rpool/home@a'])).toBe(false)
    expect(readsOnly(['setpriv', '--pdeathsig', 'KILL', '--', 'zfs', 'send', '-w', '-v', '-P', 'rpool/home@a'])).toBe(false)
    expect(readsOnly(['setpriv', '--pdeathsig', 'KILL', '--', 'zfs', 'receive', '-s', '-u', 'backup/home'])).toBe(false)
    expect(readsOnly(['zfs', 'list', '-Hp', '-t', 'snapshot,bookmark', '-o', 'name,guid,createtxg', '-d', '1', 'rpool/home', 'backup/home'])).toBe(true)
    expect(readsOnly(['syncoid', '--sendoptions=w', 'a', 'b'])).toBe(false)
    expect(readsOnly(['zfs', 'destroy', 'backup/home@a'])).toBe(false)
    expect(readsOnly(['udisksctl', 'power-off', '-b', '/dev/disk/by-id/usb-x'])).toBe(false)
  })
})

describe('prerequisites', () => {
  it('knows which OpenZFS releases carry the snapshot-corruption fix', () => {
    expect(['2.2.7', '2.3.2', '2.1.15'].map(zfsHasRawSendFix)).toEqual([false, false, false])
    expect(['2.2.8', '2.3.3', '2.4.0', '3.0.0'].map(zfsHasRawSendFix)).toEqual([true, true, true, true])
  })

  it('flags sanoid as stopped when the newest snapshot is older than two of its periods', () => {
    const now = Date.parse('2026-11-27T12:00:00Z')
    const at = (h: number) => now / 1000 - h * 3600
    expect(snapshotFreshness([{ snapshot: 'autosnap_2026-11-27_11:00:00_hourly', creation: at(1) }], now).ok).toBe(true)
    expect(snapshotFreshness([{ snapshot: 'autosnap_2026-11-27_07:00:00_hourly', creation: at(5) }], now).ok).toBe(false)
    expect(snapshotFreshness([{ snapshot: 'autosnap_2026-11-26_00:00:00_daily', creation: at(36) }], now).ok).toBe(true)
    expect(snapshotFreshness([{ snapshot: 'manual', creation: at(0) }], now)).toMatchObject({ ok: false, detail: expect.stringMatching(/no sanoid/) })
  })
})

describe('exit codes scripts can branch on', () => {
  it('maps outcomes and errors to 0, 1, 2, 3, 4 and 130', () => {
    expect(exitCodeFor('succeeded', null)).toBe(0)
    expect(exitCodeFor('failed', 'replication-failed')).toBe(1)
    expect(exitCodeFor('failed', 'drive-unknown')).toBe(2)
    expect(exitCodeFor('failed', 'drive-not-connected')).toBe(3)
    expect(exitCodeFor('failed', 'pool-busy')).toBe(4)
    expect(exitCodeFor('failed', 'busy-another-run')).toBe(4)
    expect(exitCodeFor('cancelled', null)).toBe(130)
  })
})
