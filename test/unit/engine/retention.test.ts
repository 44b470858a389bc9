// The drive's own retention: what a user who set "keep 24 hourly, 30 daily, ..." finds on the drive, and
// the two snapshots no policy may take away.
import { describe, expect, it } from 'vitest'
import { prunedOnSource } from '../../../main/engine/plan'
import { applyKeepPolicy, describeRetention, isoWeek, retentionDecision, type DatedSnapshot, type KeepPolicy, type Protected } from '../../../main/engine/retention'
import type { SnapshotInfo } from '../../../main/system/zfs'
import { parseSnapshotList } from '../../../main/system/zfs'
import { fixture } from '../system/fixtures'

let txg = 1000
/** A snapshot taken at an ISO time (UTC unless it says otherwise); guids above 2^63 on purpose. */
function at(iso: string, name = iso): SnapshotInfo {
  txg++
  return { name: `backup/home@${name}`, dataset: 'backup/home', snapshot: name, guid: `1844674407370955${txg}`, createtxg: String(txg), creation: Date.parse(iso) / 1000 }
}
/** One snapshot every `stepHours` hours from `start`, `n` of them, oldest first. */
function series(start: string, n: number, stepHours: number): SnapshotInfo[] {
  const t0 = Date.parse(start)
  return Array.from({ length: n }, (_, i) => at(new Date(t0 + i * stepHours * 3600_000).toISOString()))
}
const names = (xs: readonly DatedSnapshot[]): string[] => xs.map((s) => s.snapshot)
const newestIs = (xs: readonly SnapshotInfo[]): Protected => ({ newestCommonGuid: xs.at(-1)!.guid, bookmarkGuid: null })
const keep = <T extends DatedSnapshot>(xs: readonly T[], policy: KeepPolicy, protect: Protected, tz = 'UTC') => applyKeepPolicy(xs, policy, protect, tz)

describe('keep policy by snapshot time', () => {
  it('24 hourly out of two days of hourly snapshots keeps the newest 24 hours', () => {
    const xs = series('2026-11-25T00:00:00Z', 48, 1)
    const d = keep(xs, { hourly: 24 }, newestIs(xs))
    expect(names(d.keep.map((k) => k.snapshot))).toEqual(names(xs.slice(24)))
    expect(names(d.prune)).toEqual(names(xs.slice(0, 24)))
  })

  it('keeps the newest snapshot of each period when several fall into it', () => {
    const xs = [at('2026-11-25T10:00:00Z'), at('2026-11-25T10:15:00Z'), at('2026-11-25T10:45:00Z'), at('2026-11-25T11:05:00Z'), at('2026-11-25T11:30:00Z')]
    const d = keep(xs, { hourly: 2 }, newestIs(xs))
    expect(names(d.keep.map((k) => k.snapshot))).toEqual(['2026-11-25T10:45:00Z', '2026-11-25T11:30:00Z'])
  })

  it('counts periods that have a snapshot, not calendar periods: a week away keeps 30 daily over 37 days', () => {
    const before = series('2026-10-01T12:00:00Z', 20, 24)
    const after = series('2026-10-28T12:00:00Z', 10, 24)
    const xs = [...before, ...after]
    const d = keep(xs, { daily: 30 }, newestIs(xs))
    expect(d.prune).toEqual([])
    expect(keep(xs, { daily: 25 }, newestIs(xs)).prune).toEqual(before.slice(0, 5))
  })

  it('combines periods, and says why each snapshot stays', () => {
    const xs = series('2026-01-01T00:00:00Z', 24 * 70, 1) // 70 days of hourly snapshots
    const d = keep(xs, { hourly: 24, daily: 30, weekly: 8, monthly: 12, yearly: 'all' }, newestIs(xs))
    const kept = d.keep.map((k) => k.snapshot)
    // 24 hourly + 29 more daily (the newest day is already kept) + the weeks and months before that.
    expect(kept.length).toBeGreaterThan(53)
    expect(kept.length).toBeLessThan(70)
    const newest = d.keep.at(-1)!
    expect(newest.snapshot).toBe(xs.at(-1))
    expect(newest.why).toEqual(['newest-common', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'])
    // The newest of January (the last hour of Jan 31) is kept as that month's monthly.
    expect(d.keep.find((k) => k.snapshot.snapshot === '2026-01-31T23:00:00.000Z')?.why).toContain('monthly')
    // Keeps + prunes are exactly the input, without duplicates, oldest first.
    expect([...kept, ...d.prune].length).toBe(xs.length)
    expect(new Set([...kept, ...d.prune]).size).toBe(xs.length)
    expect(names(kept)).toEqual([...names(kept)].sort())
  })

  it('weekly uses ISO weeks: Monday starts a week, and the turn of the year can share one', () => {
    expect(isoWeek(2026, 12, 31)).toEqual({ year: 2026, week: 53 })
    expect(isoWeek(2027, 1, 3)).toEqual({ year: 2026, week: 53 })
    expect(isoWeek(2027, 1, 4)).toEqual({ year: 2027, week: 1 })
    expect(isoWeek(2024, 12, 30)).toEqual({ year: 2025, week: 1 })
    const xs = [at('2026-12-28T09:00:00Z'), at('2027-01-03T09:00:00Z'), at('2027-01-04T09:00:00Z')]
    expect(names(keep(xs, { weekly: 2 }, newestIs(xs)).keep.map((k) => k.snapshot))).toEqual(['2027-01-03T09:00:00Z', '2027-01-04T09:00:00Z'])
  })

  it('"every yearly" keeps one per year for ever', () => {
    const xs = [2019, 2020, 2020, 2021, 2024, 2026].map((y, i) => at(`${y}-0${i + 1}-15T12:00:00Z`))
    const d = keep(xs, { yearly: 'all' }, newestIs(xs))
    expect(d.prune.map((s) => s.creation)).toEqual([xs[1]!.creation])
  })

  it('periods are local calendar periods: 23:30 UTC is already the next day in Berlin', () => {
    const xs = [at('2026-11-24T22:30:00Z'), at('2026-11-24T23:30:00Z')]
    expect(keep(xs, { daily: 2 }, newestIs(xs), 'UTC').prune).toHaveLength(1)
    expect(keep(xs, { daily: 2 }, newestIs(xs), 'Europe/Berlin').prune).toHaveLength(0)
  })

  it('never prunes the newest common snapshot or the bookmark\'s base, whatever the policy says', () => {
    const xs = series('2026-11-01T00:00:00Z', 10, 24)
    const common = xs[7]!
    const base = xs[2]!
    const d = keep(xs, { daily: 1 }, { newestCommonGuid: common.guid, bookmarkGuid: base.guid })
    const kept = d.keep.map((k) => k.snapshot)
    expect(kept).toContain(common)
    expect(kept).toContain(base)
    expect(d.keep.find((k) => k.snapshot === base)?.why).toEqual(['bookmark-base'])
    // What is newer than the newest common one is never judged here.
    expect(kept).toEqual(expect.arrayContaining(xs.slice(7)))
    expect(names(d.prune)).toEqual(names([...xs.slice(0, 2), ...xs.slice(3, 7)]))
  })

  it('prunes nothing when the drive shares no snapshot with the laptop', () => {
    const xs = series('2026-11-01T00:00:00Z', 10, 24)
    expect(keep(xs, { daily: 1 }, { newestCommonGuid: null, bookmarkGuid: null }).prune).toEqual([])
  })

  it('ignores periods set to 0, and sorts by createtxg whatever order it is given', () => {
    const xs = series('2026-11-01T00:00:00Z', 5, 24)
    const shuffled = [xs[3]!, xs[0]!, xs[4]!, xs[1]!, xs[2]!]
    const d = keep(shuffled, { hourly: 0, daily: 2 }, newestIs(xs))
    expect(names(d.prune)).toEqual(names(xs.slice(0, 3)))
    expect(shuffled[0]).toBe(xs[3]) // the input is not reordered
  })

  it('holds its invariants on random histories', () => {
    let seed = 7
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let round = 0; round < 200; round++) {
      let t = Date.parse('2025-01-01T00:00:00Z')
      const xs = Array.from({ length: 1 + Math.floor(rnd() * 80) }, () => at(new Date((t += rnd() * 3 * 86400_000)).toISOString()))
      const policy: KeepPolicy = { hourly: Math.floor(rnd() * 5), daily: Math.floor(rnd() * 10), weekly: Math.floor(rnd() * 4), monthly: rnd() < 0.5 ? 'all' : 2 }
      const protect = { newestCommonGuid: xs[Math.floor(rnd() * xs.length)]!.guid, bookmarkGuid: rnd() < 0.5 ? xs[Math.floor(rnd() * xs.length)]!.guid : null }
      const d = keep(xs, policy, protect)
      const kept = d.keep.map((k) => k.snapshot)
      expect(kept.length + d.prune.length).toBe(xs.length)
      expect(kept.some((s) => s.guid === protect.newestCommonGuid)).toBe(true)
      if (protect.bookmarkGuid) expect(kept.some((s) => s.guid === protect.bookmarkGuid)).toBe(true)
      const idx = xs.findIndex((s) => s.guid === protect.newestCommonGuid)
      for (const p of d.prune) expect(xs.indexOf(p)).toBeLessThan(idx)
      for (const period of ['hourly', 'daily', 'weekly'] as const) {
        expect(d.keep.filter((k) => k.why.includes(period)).length).toBeLessThanOrEqual(policy[period] as number)
      }
    }
  })
})

describe('mirror (the guide\'s behaviour, the default)', () => {
  const src = parseSnapshotList(fixture('zfs-list-snapshots-source.txt'))
  const tgt = parseSnapshotList(fixture('zfs-list-snapshots-target.txt'))

  it('prunes exactly what --delete-target-snapshots would, on listings captured from real ZFS', () => {
    for (let drop = 0; drop < src.length; drop++) {
      const laptop = src.slice(drop)
      const guids = new Set(laptop.map((s) => s.guid))
      const common = tgt.filter((t) => guids.has(t.guid)).at(-1)?.guid ?? null
      const d = retentionDecision('mirror', tgt, guids, { newestCommonGuid: common, bookmarkGuid: null })
      expect(d.prune).toEqual(prunedOnSource(laptop, tgt))
    }
  })

  it('keeps the bookmark\'s base even when the laptop pruned it', () => {
    const laptop = src.slice(-1)
    const d = retentionDecision('mirror', tgt, new Set(laptop.map((s) => s.guid)), { newestCommonGuid: laptop[0]!.guid, bookmarkGuid: tgt[0]!.guid })
    expect(d.keep.map((k) => k.snapshot)).toContain(tgt[0])
  })
})

describe('how the retention is described', () => {
  it('reads as a user would write it', () => {
    expect(describeRetention('mirror')).toBe('mirror the laptop')
    expect(describeRetention({ hourly: 24, daily: 30, weekly: 8, monthly: 12, yearly: 'all' })).toBe('keep 24 hourly, 30 daily, 8 weekly, 12 monthly, every yearly')
  })
})

describe('retention in the config', () => {
  it('accepts mirror or a keep policy, and says what is wrong with anything else', async () => {
    const { driveSchema } = await import('../../../main/config/schema')
    const base = { name: 'T7', pool: 'backup', poolGuid: '13251836079750056283', disk: '/dev/disk/by-id/usb-x', targets: {} }
    expect(driveSchema.parse(base).retention).toBeUndefined()
    expect(driveSchema.parse({ ...base, retention: 'mirror' }).retention).toBe('mirror')
    expect(driveSchema.parse({ ...base, retention: { hourly: 24, daily: 30, weekly: 8, monthly: 12, yearly: 'all' } }).retention).toEqual({ hourly: 24, daily: 30, weekly: 8, monthly: 12, yearly: 'all' })
    for (const bad of ['keep', { daily: -1 }, { daily: 1.5 }, { fortnightly: 2 }, {}, { daily: 0 }]) {
      expect(driveSchema.safeParse({ ...base, retention: bad }).success, JSON.stringify(bad)).toBe(false)
    }
  })
})

describe('the snapshot timeline marks what the drive\'s retention removes at the next backup', () => {
  it('mirror: a snapshot the laptop pruned is marked, the newest common one is kept', async () => {
    const { snapshotTimeline } = await import('../../../main/engine/snapshots')
    const src = parseSnapshotList(fixture('zfs-list-snapshots-source.txt'))
    const tgt = parseSnapshotList(fixture('zfs-list-snapshots-target.txt'))
    const rows = snapshotTimeline(src.slice(1), tgt, { retention: 'mirror', poolGuid: '1', bookmarks: [] })
    expect(rows.map((r) => [r.snapshot, r.retention])).toEqual([
      ['autosnap_2026-11-27_02:00:00_hourly', 'keep'],
      ['autosnap_2026-11-27_01:00:00_hourly', 'keep'],
      ['autosnap_2026-11-27_00:00:00_hourly', 'prune'],
    ])
    expect(snapshotTimeline(src, tgt).every((r) => r.retention === undefined)).toBe(true)
  })

  it('a keep policy: the drive keeps hours the laptop pruned, and the oldest hour goes once the next backup brings a newer one', async () => {
    const { snapshotTimeline } = await import('../../../main/engine/snapshots')
    const at = (ds: string, h: number, guid: string) => ({ name: `${ds}@h${h}`, dataset: ds, snapshot: `h${h}`, guid, createtxg: String(100 + h), creation: Date.UTC(2026, 10, 30, h) / 1000 })
    const drive = [at('backup/home', 1, '1'), at('backup/home', 2, '2'), at('backup/home', 3, '3')]
    // The laptop pruned h1 and h2; h3 is the newest common snapshot.
    const kept = snapshotTimeline([at('rpool/home', 3, '3')], drive, { retention: { hourly: 3 }, poolGuid: '1', bookmarks: [] })
    expect(kept.map((r) => [r.snapshot, r.onSource, r.retention])).toEqual([['h3', true, 'keep'], ['h2', false, 'keep'], ['h1', false, 'keep']])
    // A fourth hour on the laptop: after the next send the drive would hold four hours, so h1 is marked.
    const rows = snapshotTimeline([at('rpool/home', 3, '3'), at('rpool/home', 4, '4')], drive, { retention: { hourly: 3 }, poolGuid: '1', bookmarks: [] })
    expect(rows.map((r) => [r.snapshot, r.onDrive, r.retention])).toEqual([['h4', false, undefined], ['h3', true, 'keep'], ['h2', true, 'keep'], ['h1', true, 'prune']])
  })
})
