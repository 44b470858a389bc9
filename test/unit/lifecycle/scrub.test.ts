// Scrub progress and results from zpool output captured in the test VM.
import { describe, expect, it } from 'vitest'
import { formatScrubResult, lastScrub, scrubDue, scrubProgress, scrubResult, scrubSummary, type ScrubResult } from '../../../main/engine/scrub'
import { recordFromEvents, type RunRecord } from '../../../shared/run-record'
import { parseStatusErrors, parseStatusJson } from '../../../main/system/zpool'
import { fixture } from '../system/fixtures'

describe('scrub progress (zpool status -jp while scrubbing)', () => {
  const scan = parseStatusJson(fixture('zpool-status-json-scrubbing.txt'))[0]!.scan!
  it('is issued of to_examine, with the rate since the start and an ETA', () => {
    const p = scrubProgress(scan, 1795757163 + 4)
    expect(p).toMatchObject({ bytes: 38903808, totalBytes: 60600320 })
    expect(p.bytesPerSecond).toBeCloseTo(38903808 / 4)
    expect(p.etaSeconds).toBeCloseTo((60600320 - 38903808) / (38903808 / 4))
  })
  it('has no rate in the first second', () => {
    expect(scrubProgress(scan, 1795757163)).toMatchObject({ bytesPerSecond: null, etaSeconds: null })
  })
})

describe('scrub result', () => {
  const corrupt = parseStatusJson(fixture('zpool-status-json-errors.txt'))[0]!
  const clean = parseStatusJson(fixture('zpool-status-json-clean.txt'))[0]!

  it('without the key: counts, per-device CKSUM, and that the file list needs the passphrase', () => {
    const r = scrubResult(corrupt, parseStatusErrors(fixture('zpool-status-v-errors-nokey.txt') + fixture('zpool-status-v-errors-nokey.stderr.txt')))
    expect(r.scanState).toBe('FINISHED')
    expect(r.fileListNeedsKey).toBe(true)
    expect(r.errors).toBeGreaterThan(0)
    expect(r.totals.checksum).toBeGreaterThan(0)
    expect(r.devices.at(-1)).toMatchObject({ name: 'virtio-SRCDISK01-part2', read: 0, write: 0 })
    const text = formatScrubResult(r).join('\n')
    expect(text).toMatch(/scrub finished in 1 s: repaired .*, \d+ errors/)
    expect(text).toMatch(/virtio-SRCDISK01-part2: ONLINE, READ 0 WRITE 0 CKSUM [1-9]/)
    expect(text).toMatch(/restore open/)
    expect(text).toMatch(/damaged/)
  })

  it('with the key: lists the affected files and snapshots', () => {
    const r = scrubResult(corrupt, parseStatusErrors(fixture('zpool-status-v-errors-key.txt')))
    expect(r.files.length).toBeGreaterThan(0)
    expect(r.fileListNeedsKey).toBe(false)
    expect(formatScrubResult(r).join('\n')).toMatch(/permanent errors? in:\n {2}backup\/data(@\S+)?:\//)
  })

  it('clean: no known data errors', () => {
    const r = scrubResult(clean, parseStatusErrors(fixture('zpool-status-v-clean.txt')))
    expect(r).toMatchObject({ errors: 0, dataErrors: 0, repairedBytes: 0, totals: { read: 0, write: 0, checksum: 0 } })
    expect(formatScrubResult(r)).toContain('errors: No known data errors')
  })

  it('the result travels as a scrub-result event into the history, where the last scrub and its age come from', () => {
    const r = scrubResult(corrupt, { kind: 'unavailable', reason: 'permission denied' })
    const run = (drive: string, finishedAt: string, result: ScrubResult | null): RunRecord => recordFromEvents([
      { type: 'run-started', runId: finishedAt, verb: 'scrub', drive, steps: [{ id: 'result', title: 'Result' }], at: finishedAt },
      ...(result ? [{ type: 'scrub-result', ...scrubSummary(result) } as const] : []),
      { type: 'run-finished', outcome: 'succeeded', durationMs: 1, at: finishedAt, bytes: 0 },
    ])!
    const runs = [run('T7', '2026-11-20T00:00:00.000Z', null), run('T7', '2026-11-10T00:00:00.000Z', r), run('T7', '2026-11-01T00:00:00.000Z', scrubResult(clean, { kind: 'none' }))]
    expect(runs[1]!.scrub).toEqual({ pool: r.pool, repairedBytes: r.repairedBytes, errors: r.errors, dataErrors: r.dataErrors, totals: r.totals })
    expect(lastScrub(runs, 'T7')).toEqual({ at: '2026-11-10T00:00:00.000Z', errors: r.errors + r.dataErrors, repairedBytes: r.repairedBytes })
    expect(lastScrub(runs, 'other')).toBeNull()
    expect(scrubDue(lastScrub(runs, 'T7'), 30, Date.parse('2026-11-20T00:00:00Z'))).toBe(false)
    expect(scrubDue(lastScrub(runs, 'T7'), 30, Date.parse('2026-12-20T00:00:00Z'))).toBe(true)
    expect(scrubDue(null, 30)).toBe(true)
  })
})
