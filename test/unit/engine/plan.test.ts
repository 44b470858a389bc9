import { describe, expect, it } from 'vitest'
import { divergedSnapshots, newestCommon, prunedOnSource } from '../../../main/engine/plan'
import type { SnapshotInfo } from '../../../main/system/zfs'

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
