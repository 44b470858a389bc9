import { describe, expect, it } from 'vitest'
import { divergedSnapshots, newestCommon, prunedOnSource } from '../../../main/engine/plan'
import type { DatasetProperties, SnapshotInfo } from '../../../main/system/zfs'

let txg = 100
const snap = (ds: string, name: string, guid: string): SnapshotInfo => ({ name: `${ds}@${name}`, dataset: ds, snapshot: name, guid, createtxg: String(txg++), creation: txg })
const src = (names: [string, string][]) => names.map(([n, g]) => snap('rpool/home', n, g))
const dst = (names: [string, string][]) => names.map(([n, g]) => snap('backup/home', n, g))

describe('what a backup keeps and removes on the drive', () => {
  // guids above 2^63 on purpose: they must be compared as strings, never as numbers.
  const a = ['a', '18446744073709551001'] as [string, string]
  const b = ['b', '18446744073709551002'] as [string, string]
  const c = ['c', '18446744073709551003'] as [string, string]
  const d = ['d', '18446744073709551004'] as [string, string]

  it('finds the newest snapshot both sides share, by guid', () => {
    expect(newestCommon(src([b, c, d]), dst([a, b, c]))?.snapshot).toBe('c')
    expect(newestCommon(src([d]), dst([a, b]))).toBeNull()
  })

  it('removes only what the laptop pruned, never the newest common snapshot', () => {
    expect(prunedOnSource(src([c, d]), dst([a, b, c])).map((s) => s.snapshot)).toEqual(['a', 'b'])
    // The laptop pruned everything but the newest common one: that one stays (it is the next incremental's base).
    expect(prunedOnSource(src([c]), dst([a, b, c])).map((s) => s.snapshot)).toEqual(['a', 'b'])
    expect(prunedOnSource(src([a, b, c]), dst([a, b, c]))).toEqual([])
  })

  it('removes nothing when the two share no snapshot at all', () => {
    expect(prunedOnSource(src([d]), dst([a, b]))).toEqual([])
  })

  it('a same-named snapshot with another guid is not the same snapshot', () => {
    const impostor = ['c', '5'] as [string, string]
    expect(newestCommon(src([a, impostor]), dst([a, c]))?.snapshot).toBe('a')
    expect(divergedSnapshots(src([a, impostor]), dst([a, c])).map((s) => s.snapshot)).toEqual(['c'])
  })
})

describe('the native plan, as syncoid --no-sync-snap --no-rollback would send it', () => {
  const listed = (ds: string, names: [string, string][]) => names.map(([n, g], i) => ({ name: `${ds}@${n}`, dataset: ds, snapshot: n, guid: g, createtxg: String(10 + i) }))
  const props = (over: Record<string, unknown> = {}): DatasetProperties => ({ name: 'x', encryption: 'aes-256-gcm', encrypted: true, keystatus: 'unavailable', keylocation: 'prompt', encryptionroot: 'x', readonly: true, snapdir: 'hidden', mountpoint: 'none', canmount: 'on', mounted: false, receiveResumeToken: null, raw: {}, ...over })
  const sides = (src: [string, string][], tgt: [string, string][] | null, tgtProps = props()) => ({
    listings: new Map([
      ['rpool/home', { exists: true, snapshots: listed('rpool/home', src), bookmarks: [] }],
      ['backup/home', { exists: tgt !== null, snapshots: tgt ? listed('backup/home', tgt) : [], bookmarks: [] }],
    ]),
    props: new Map([['rpool/home', props({ keystatus: 'available' })], ...(tgt ? [['backup/home', tgtProps] as const] : [])]),
  })
  const a = ['a', '18446744073709551001'] as [string, string]
  const b = ['b', '18446744073709551002'] as [string, string]
  const c = ['c', '18446744073709551003'] as [string, string]

  it('first copy: the oldest in full, then -I to the newest', async () => {
    const { resolvePlan } = await import('../../../main/engine/plan')
    const p = resolvePlan('rpool/home', 'backup/home', sides([a, b, c], null))
    expect(p.transfers.map((t) => [t.base, t.to])).toEqual([
      [{ kind: 'full' }, 'rpool/home@a'],
      [{ kind: 'incremental', from: 'rpool/home@a', intermediates: true }, 'rpool/home@c'],
    ])
    expect(resolvePlan('rpool/home', 'backup/home', sides([a], null)).transfers).toHaveLength(1)
  })

  it('later: one -I from the newest common snapshot; nothing when up to date', async () => {
    const { resolvePlan, targetAfter } = await import('../../../main/engine/plan')
    const p = resolvePlan('rpool/home', 'backup/home', sides([a, b, c], [a]))
    expect(p.transfers.map((t) => [t.base, t.to])).toEqual([[{ kind: 'incremental', from: 'rpool/home@a', intermediates: true }, 'rpool/home@c']])
    expect(targetAfter(p).map((s) => [s.name, s.guid])).toEqual([['backup/home@a', a[1]], ['backup/home@b', b[1]], ['backup/home@c', c[1]]])
    expect(resolvePlan('rpool/home', 'backup/home', sides([a, b], [a, b])).transfers).toEqual([])
  })

  it('refuses a diverged target, a drive open for restore, and a target with nothing in common', async () => {
    const { resolvePlan } = await import('../../../main/engine/plan')
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, b], [a, ['x', '7']]))).toThrow(expect.objectContaining({ code: 'target-diverged' }))
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, b], [a], props({ keystatus: 'available' })))).toThrow(expect.objectContaining({ code: 'drive-open-for-restore' }))
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([b, c], [a]))).toThrow(expect.objectContaining({ code: 'no-common-snapshot' }))
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a], [a], props({ encryption: 'off', encrypted: false, keystatus: null as never })))).toThrow(expect.objectContaining({ code: 'target-unencrypted' }))
  })

  it('an unencrypted target that is only a partial first receive is left to its token (judged, then discarded), then sent raw in full', async () => {
    const { resolvePlan } = await import('../../../main/engine/plan')
    const partial = props({ encryption: 'off', encrypted: false, keystatus: null as never, receiveResumeToken: '1-abc-def-123' })
    const p = resolvePlan('rpool/home', 'backup/home', sides([a, b], [], partial))
    expect(p.resumeToken).toBe('1-abc-def-123')
    expect(p.transfers.map((t) => t.base.kind)).toEqual(['full', 'incremental'])
    // With a snapshot of its own it is a real unencrypted copy, and still refused.
    expect(() => resolvePlan('rpool/home', 'backup/home', sides([a, b], [a], partial))).toThrow(expect.objectContaining({ code: 'target-unencrypted' }))
  })
})
