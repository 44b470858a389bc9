import { afterEach, describe, expect, it, vi } from 'vitest'
import { ProgressMeter } from '../../../main/engine/progress'
import type { Progress } from '../../../shared/events'

afterEach(() => vi.useRealTimers())

describe('replication progress', () => {
  it('knows the total from the start, reports at least once a second, and never passes 100 %', () => {
    vi.useFakeTimers()
    let t = 0
    const seen: Progress[] = []
    const m = new ProgressMeter([100_000_000, 20_000_000], (p) => seen.push(p), () => t)
    expect(seen[0]).toMatchObject({ bytes: 0, totalBytes: 120_000_000 })
    for (let i = 1; i <= 10; i++) {
      t += 1000
      vi.advanceTimersByTime(1000)
    }
    expect(seen.length).toBeGreaterThanOrEqual(11)
    m.update(60_000_000)
    t += 1000
    vi.advanceTimersByTime(1000)
    t += 300
    m.update(110_000_000) // more than the estimate: the total grows instead of the bar passing 100 %
    const last = seen.at(-1)!
    expect(last.bytes).toBeLessThanOrEqual(last.totalBytes!)
    expect(last.totalBytes).toBe(130_000_000)
    m.finishSegment()
    t += 300
    m.update(20_000_000)
    m.finishSegment()
    expect(seen.at(-1)).toMatchObject({ bytes: 130_000_000, totalBytes: 130_000_000 })
    m.stop()
  })

  it('reports a rate and an ETA while bytes flow, and no ETA while stalled', () => {
    vi.useFakeTimers()
    let t = 0
    const seen: Progress[] = []
    const m = new ProgressMeter([50_000_000], (p) => seen.push(p), () => t)
    for (let i = 1; i <= 3; i++) {
      t += 1000
      m.update(i * 5_000_000)
      vi.advanceTimersByTime(1000)
    }
    const flowing = seen.at(-1)!
    expect(flowing.bytesPerSecond).toBeGreaterThan(4_000_000)
    expect(flowing.etaSeconds).toBeGreaterThan(5)
    for (let i = 0; i < 8; i++) {
      t += 1000
      vi.advanceTimersByTime(1000)
    }
    expect(seen.at(-1)).toMatchObject({ bytesPerSecond: 0, etaSeconds: null })
    m.stop()
  })
})

describe('native progress: each send announces its own size', () => {
  it('takes a later transfer\'s dry-run estimate until its own header replaces it, and ends at 100 %', () => {
    vi.useFakeTimers()
    let t = 0
    const seen: Progress[] = []
    const m = new ProgressMeter([0, 0], (p) => seen.push(p), () => t, 5_000, { totalUnknown: true })
    expect(seen[0]).toMatchObject({ bytes: 0, totalBytes: null })
    m.setEstimate(60_000_000)
    m.setEstimateAt(1, 30_000_000, true)
    expect(seen.at(-1)).toMatchObject({ bytes: 0, totalBytes: 90_000_000 })
    m.update(59_000_000)
    m.finishSegment()
    expect(seen.at(-1)).toMatchObject({ bytes: 60_000_000, totalBytes: 90_000_000 })
    m.setEstimate(31_000_000)
    m.setEstimateAt(1, 1, true) // a late dry run does not overwrite the real header
    t += 300
    m.update(31_000_000)
    m.finishSegment()
    expect(seen.at(-1)).toMatchObject({ bytes: 91_000_000, totalBytes: 91_000_000 })
    const bytes = seen.map((p) => p.bytes)
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b))
    expect(seen.every((p) => p.totalBytes === null || p.bytes <= p.totalBytes)).toBe(true)
    m.stop()
  })
})
