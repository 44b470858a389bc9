import { describe, expect, it } from 'vitest'
import {
  checkSyncoidVersion,
  parseSyncoidLine,
  parseSyncoidSize,
  runSyncoid,
  SyncoidProgress,
  syncoidArgv,
} from '../../../main/system/syncoid'
import type { Runner } from '../../../main/system/runner'
import { fixture } from './fixtures'

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '')
const MiB = 1024 * 1024

describe('syncoid argv', () => {
  it("is the guide's command by default (its pruning is the app's own), plus machine-readable pv output", () => {
    expect(syncoidArgv({ source: 'rpool/nixos/home', target: 'backup/eds' })).toEqual([
      'syncoid', '--sendoptions=w', '--compress=none', '--no-sync-snap', '--no-rollback',
      '--pv-options=-f -n -b -i 0.5', 'rpool/nixos/home', 'backup/eds',
    ])
  })
  it('switches each option', () => {
    expect(syncoidArgv({ source: 'a/b', target: 'c/d', raw: false, compress: 'lz4', noSyncSnap: false, noRollback: false, pvOptions: null })).toEqual(['syncoid', '--compress=lz4', 'a/b', 'c/d'])
  })
  it('refuses names that could be read as options', () => {
    expect(() => syncoidArgv({ source: '--recursive', target: 'c/d' })).toThrow(/source dataset/)
  })
  it("refuses a ':' anywhere, which syncoid would read as host:dataset and hand to ssh", () => {
    expect(() => syncoidArgv({ source: 'rpool/home', target: 'evil -oProxyCommand:backup/home' })).toThrow(/target dataset.*':'/)
    expect(() => syncoidArgv({ source: 'r:pool/home', target: 'backup/home' })).toThrow(/source dataset/)
  })
})

describe('syncoid version', () => {
  it('accepts the real 2.2.0 output', () => {
    expect(checkSyncoidVersion(fixture('syncoid-version.txt'))).toEqual({ version: '2.2.0', ok: true })
  })
  it('rejects 2.1.0, which does not know --delete-target-snapshots', () => {
    const r = checkSyncoidVersion('/usr/sbin/syncoid version 2.1.0\n(Getopt::Long::GetOptions version 2.52; Perl version 5.36.0)\n')
    expect(r.ok).toBe(false)
    expect(r.problem).toMatch(/2\.1\.0 is too old/)
    expect(checkSyncoidVersion('Syncoid version: 1.4.13').ok).toBe(false)
    expect(checkSyncoidVersion('garbage').version).toBeNull()
  })
})

describe('syncoid output lines', () => {
  it('uses binary units like syncoid readablebytes()', () => {
    expect(parseSyncoidSize('34.5 MB')).toBe(Math.round(34.5 * MiB))
    expect(parseSyncoidSize('1.2 GB')).toBe(Math.round(1.2 * 1024 ** 3))
    expect(parseSyncoidSize('812 KB')).toBe(812 * 1024)
    expect(parseSyncoidSize('UNKNOWN')).toBeNull()
  })

  it('reads the real announcements of a first run (full, then incremental)', () => {
    const [newest, full, incr] = lines(fixture('syncoid-full.txt')).map(parseSyncoidLine)
    expect(newest).toEqual({ kind: 'newest', snapshot: 'autosnap_2026-11-27_02:00:00_hourly' })
    expect(full).toEqual({ kind: 'segment', type: 'full', from: null, to: 'tank/data@autosnap_2026-11-27_00:00:00_hourly', estimateBytes: Math.round(34.5 * MiB) })
    expect(incr).toEqual({
      kind: 'segment',
      type: 'incremental',
      from: 'tank/data@autosnap_2026-11-27_00:00:00_hourly',
      to: 'tank/data@autosnap_2026-11-27_02:00:00_hourly',
      estimateBytes: Math.round(7.8 * MiB),
    })
  })

  it('reads the "Nothing to do" no-op', () => {
    const parsed = lines(fixture('syncoid-noop.txt')).map(parseSyncoidLine)
    expect(parsed[1]).toEqual({ kind: 'nothing-to-do', newest: 'autosnap_2026-11-27_02:00:00_hourly' })
  })
})

describe('SyncoidProgress', () => {
  it('sums both segments of a first run from the real stdout and pv stderr', () => {
    const p = new SyncoidProgress()
    const [newest, full, incr] = lines(fixture('syncoid-full.txt'))
    const pv = lines(fixture('syncoid-full.stderr.txt'))
    let t = 0
    p.feed(newest!, t)
    p.feed(full!, t)
    // The full segment's pv lines come first; pv restarts at 0 for the incremental.
    const cut = pv.findIndex((l, i) => i > 0 && Number(l) < Number(pv[i - 1]))
    for (const l of pv.slice(0, cut)) p.feed(l, (t += 500))
    const afterFull = p.snapshot()
    expect(afterFull.bytes).toBe(36122260)
    // Before the incremental is announced, the full segment is all syncoid has told us about.
    expect(afterFull.fraction).toBeCloseTo(36122260 / (34.5 * MiB), 6)
    p.feed(incr!, t)
    expect(p.snapshot().totalBytes).toBe(Math.round(34.5 * MiB) + Math.round(7.8 * MiB))
    for (const l of pv.slice(cut)) {
      p.feed(l, (t += 500))
      const s = p.snapshot()
      expect(s.fraction!).toBeLessThanOrEqual(1)
      expect(s.fraction!).toBeGreaterThan(0.8)
    }
    expect(p.snapshot().bytes).toBe(36122260 + 8056816)
    p.finish()
    expect(p.snapshot()).toMatchObject({ fraction: 1, etaSeconds: 0, done: true })
  })

  it('follows the real interleaved incremental run', () => {
    const p = new SyncoidProgress()
    let t = 0
    const fractions = lines(fixture('syncoid-incremental-combined.txt')).map((l) => {
      p.feed(l, (t += 500))
      return p.snapshot().fraction
    })
    expect(p.snapshot().segments).toHaveLength(1)
    expect(p.snapshot().bytes).toBe(12044700)
    expect(fractions.at(-1)).toBeLessThanOrEqual(1)
    expect(fractions.filter((f) => f !== null)).toEqual([...fractions.filter((f) => f !== null)].sort((a, b) => a! - b!))
  })

  it('is done at once when there is nothing to do', () => {
    const p = new SyncoidProgress()
    for (const l of lines(fixture('syncoid-noop.txt'))) p.feed(l)
    expect(p.snapshot()).toMatchObject({ nothingToDo: true, fraction: 1, bytes: 0 })
  })

  it('never exceeds 100 % even when the estimate is far too low', () => {
    const p = new SyncoidProgress()
    p.feed('Sending incremental tank/d@a ... b (~ 1.0 MB):', 0)
    for (let i = 1; i <= 20; i++) {
      p.feed(String(i * MiB), i * 500)
      expect(p.snapshot().fraction!).toBeLessThanOrEqual(1)
    }
    expect(p.snapshot().etaSeconds).toBe(0)
  })

  it('computes rate and ETA over a sliding window', () => {
    const p = new SyncoidProgress(2000)
    p.feed('INFO: Sending oldest full snapshot tank/d@a (~ 100.0 MB) to new target filesystem:', 0)
    // 1 MiB/s for 10 s, then 10 MiB/s: the window forgets the slow start.
    for (let s = 1; s <= 10; s++) p.feed(String(s * MiB), s * 1000)
    for (let s = 11; s <= 14; s++) p.feed(String((10 + (s - 10) * 10) * MiB), s * 1000)
    const snap = p.snapshot()
    expect(snap.bytesPerSecond! / MiB).toBeCloseTo(10, 5)
    expect(snap.etaSeconds!).toBeCloseTo((100 - 50) / 10, 5)
  })

  it('detects a new pv even if its announcement is missing', () => {
    const p = new SyncoidProgress()
    p.feed('100', 0)
    p.feed('200', 1)
    p.feed('50', 2)
    expect(p.snapshot().bytes).toBe(250)
    expect(p.snapshot().totalBytes).toBeNull()
    expect(p.snapshot().fraction).toBeNull()
  })
})

describe('runSyncoid', () => {
  it('feeds both streams to the progress and reports each line', async () => {
    const runner: Runner = {
      async run(argv, options) {
        for (const l of lines(fixture('syncoid-incremental-combined.txt'))) {
          if (/^\d+$/.test(l)) options?.onStderrLine?.(l)
          else options?.onStdoutLine?.(l)
        }
        return { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 1 }
      },
    }
    const seen: number[] = []
    const r = await runSyncoid(runner, { source: 'tank/data', target: 'backup/data' }, (p) => seen.push(p.bytes))
    expect(seen.at(-1)).toBe(12044700)
    expect(r.progress).toMatchObject({ done: true, fraction: 1 })
  })
})
