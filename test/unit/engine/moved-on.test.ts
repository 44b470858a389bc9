// The laptop moved on: snapshots this app sent, destroyed on the laptop since, are named and offered for
// discarding (typed again); a snapshot made on the drive itself keeps the refusal.
import { describe, expect, it } from 'vitest'
import { resolvePlan } from '../../../main/engine/plan'
import { discardConfirmed, sentByThisApp } from '../../../main/engine/moved-on'
import type { DatasetProperties } from '../../../main/system/zfs'

const GUID = '16412717767768173259'
const listed = (ds: string, names: [string, string][]) => names.map(([n, g], i) => ({ name: `${ds}@${n}`, dataset: ds, snapshot: n, guid: g, createtxg: String(10 + i) }))
const props = (over: Partial<DatasetProperties> = {}): DatasetProperties => ({ name: 'x', encryption: 'aes-256-gcm', encrypted: true, keystatus: 'unavailable', keylocation: 'prompt', encryptionroot: 'x', readonly: true, snapdir: 'hidden', mountpoint: 'none', canmount: 'on', mounted: false, receiveResumeToken: null, raw: {}, ...over })
const a = ['a', '18446744073709551001'] as [string, string]
const b = ['b', '18446744073709551002'] as [string, string]
const c = ['c', '18446744073709551003'] as [string, string]
const d = ['d', '18446744073709551004'] as [string, string]
const e = ['e', '18446744073709551005'] as [string, string]
/** The laptop's bookmark for this drive, on the snapshot the last verified run ended with. */
const mark = (guid: string) => [{ name: `rpool/home#zfs-drive-backup-${GUID}-12`, dataset: 'rpool/home', bookmark: `zfs-drive-backup-${GUID}-12`, guid, createtxg: '12' }]
const sides = (src: [string, string][], tgt: [string, string][], bookmarks = mark(c[1])) => ({
  listings: new Map([
    ['rpool/home', { exists: true, snapshots: listed('rpool/home', src), bookmarks }],
    ['backup/home', { exists: true, snapshots: listed('backup/home', tgt), bookmarks: [] }],
  ]),
  props: new Map([['rpool/home', props({ keystatus: 'available' })], ['backup/home', props()]]),
})

describe('the drive is ahead of the laptop', () => {
  it('names the snapshots this app sent that the laptop destroyed, and offers the one way forward', () => {
    // The drive got a, b, c; the laptop then destroyed b and c and took d.
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, d], [a, b, c]), GUID)).toThrow(expect.objectContaining({
      code: 'laptop-moved-on',
      message: 'The laptop has destroyed @b, @c of rpool/home since this app sent them to the drive, so the drive is ahead of the laptop. ZFS can only continue from @a, the newest snapshot both still have.',
      hint: expect.stringContaining('--discard-from-drive b,c'),
    }))
  })

  it('with the names typed again, discards exactly those and sends from the newest shared snapshot', () => {
    const p = resolvePlan('rpool/home', 'backup/home', sides([a, d], [a, b, c]), GUID, { discard: ['@c', 'b'] })
    expect(p.discard?.map((s) => s.snapshot)).toEqual(['b', 'c'])
    expect(p.targetSnapshots.map((s) => s.snapshot)).toEqual(['a'])
    expect(p.transfers.map((t) => [t.base, t.to])).toEqual([[{ kind: 'incremental', from: 'rpool/home@a', intermediates: true }, 'rpool/home@d']])
  })

  it('other names are not a confirmation', () => {
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, d], [a, b, c]), GUID, { discard: ['c'] })).toThrow(expect.objectContaining({ code: 'discard-mismatch' }))
    expect(discardConfirmed(['b', 'c', 'x'], listed('t', [b, c]))).toBe(false)
    expect(discardConfirmed([], listed('t', [b, c]))).toBe(false)
  })

  it('proven by the last verified run too, when the laptop keeps no bookmark for this drive', () => {
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, d], [a, b, c], []), GUID, { knownSent: new Set([c[1]]) })).toThrow(expect.objectContaining({ code: 'laptop-moved-on' }))
  })

  it('a snapshot made on the drive itself (newer than anything this app sent) keeps the refusal', () => {
    // The app sent a, b, c (bookmark on c); someone then snapshotted e on the drive.
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, d], [a, b, c, e]), GUID)).toThrow(expect.objectContaining({ code: 'target-diverged', hint: expect.stringMatching(/snapshotted on the drive itself/) }))
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, b, c], [a, b, c, e]), GUID)).toThrow(expect.objectContaining({ code: 'target-diverged' }))
    // Nothing proven at all: refused as before.
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, d], [a, b, c], []), GUID)).toThrow(expect.objectContaining({ code: 'target-diverged' }))
    expect(sentByThisApp(listed('t', [b, e]), new Set([b[1]]))).toBeNull()
  })
})
