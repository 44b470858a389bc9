import { afterEach, describe, expect, it, vi } from 'vitest'
import { Coalescer, ProgressThrottle } from '../../../main/app/throttle'
import { createCoordinator } from '../../../main/app/coordinator'
import type { RunEvent } from '../../../shared/events'
import { backupEvents, FakeLauncher, fakeRunner, tempFiles } from './fakes'

vi.mock('electron', () => ({}))
afterEach(() => vi.useRealTimers())

const progress = (bytes: number): RunEvent => ({ type: 'progress', step: 'replicate', bytes, totalBytes: 1e9, bytesPerSecond: 1, etaSeconds: 1 })

/** The most progress events seen in any 1-second window. */
function maxPerSecond(times: number[]): number {
  let max = 0
  for (let i = 0; i < times.length; i++) max = Math.max(max, times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length)
  return max
}

describe('progress throttle', () => {
  it('sends at most 10 progress events a second, keeps every other event in order, and ends with the newest progress', () => {
    vi.useFakeTimers({ now: 0 })
    const out: { t: number; e: RunEvent }[] = []
    const th = new ProgressThrottle((e) => out.push({ t: Date.now(), e }))
    const others: RunEvent[] = []
    // 3 s of a progress event every 2 ms (1500 events) with an info event every 250 ms.
    for (let ms = 0; ms < 3000; ms += 2) {
      th.push(progress(ms))
      if (ms % 250 === 0) {
        const info: RunEvent = { type: 'info', step: 'replicate', message: `at ${ms}` }
        others.push(info)
        th.push(info)
      }
      vi.advanceTimersByTime(2)
    }
    th.push(progress(3000))
    vi.advanceTimersByTime(500)
    const sentProgress = out.filter((o) => o.e.type === 'progress')
    expect(maxPerSecond(sentProgress.map((o) => o.t))).toBeLessThanOrEqual(10)
    expect(sentProgress.length).toBeGreaterThanOrEqual(25)
    expect(out.filter((o) => o.e.type !== 'progress').map((o) => o.e)).toEqual(others)
    expect(sentProgress.at(-1)!.e).toMatchObject({ bytes: 3000 })
  })

  it('the state coalescer always delivers the latest state', () => {
    vi.useFakeTimers({ now: 0 })
    const out: number[] = []
    const c = new Coalescer<number>((v) => out.push(v))
    for (let i = 1; i <= 100; i++) c.push(i)
    vi.advanceTimersByTime(150)
    expect(out).toEqual([1, 100])
  })

  it('the coordinator forwards a helper flooding progress at ≤ 10/s to the window, with every step event', async () => {
    vi.useFakeTimers({ now: 0 })
    const files = tempFiles()
    const launcher = new FakeLauncher()
    const c = createCoordinator({ ...files, launcher, runner: fakeRunner(), log: () => undefined, availableVerbs: ['backup'] })
    await c.start()
    const sent: { t: number; e: RunEvent }[] = []
    const states: number[] = []
    c.onRunEvent((e) => sent.push({ t: Date.now(), e }))
    c.onChange(() => states.push(Date.now()))
    await c['backup:start']({ drive: 'T7' })
    const events = backupEvents()
    for (const e of events.slice(0, 5)) launcher.last.emit(e)
    for (let i = 0; i < 2000; i++) {
      launcher.last.emit(progress(i))
      vi.advanceTimersByTime(1)
    }
    for (const e of events.slice(5)) launcher.last.emit(e)
    vi.advanceTimersByTime(200)
    const prog = sent.filter((s) => s.e.type === 'progress')
    expect(maxPerSecond(prog.map((p) => p.t))).toBeLessThanOrEqual(10)
    expect(sent.filter((s) => s.e.type !== 'progress').map((s) => s.e)).toEqual(events.filter((e) => e.type !== 'progress'))
    expect(maxPerSecond(states)).toBeLessThanOrEqual(11)
    await c.dispose()
  })
})
