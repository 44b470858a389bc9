// Rate limits for what goes to the window: progress at most 10 a second, everything else at once.

import type { RunEvent } from '../../shared/events'

export interface TimerApi {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: TimerApi = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/**
 * Progress events go out at most once per `intervalMs` (the newest wins; a trailing one is sent when the
 * interval is over). Any other event is sent at once and in order; a progress event still waiting when
 * it arrives is dropped, because the step it belongs to has moved on and the window's state already
 * carries the latest numbers.
 */
export class ProgressThrottle {
  private lastSent = -Infinity
  private pending: RunEvent | null = null
  private timer: unknown = null

  constructor(
    private readonly send: (e: RunEvent) => void,
    private readonly intervalMs = 100,
    private readonly timers: TimerApi = realTimers,
  ) {}

  push(e: RunEvent): void {
    if (e.type !== 'progress') {
      this.cancelPending()
      this.send(e)
      return
    }
    const wait = this.lastSent + this.intervalMs - this.timers.now()
    if (wait <= 0 && this.timer === null) {
      this.emitProgress(e)
      return
    }
    this.pending = e
    this.timer ??= this.timers.setTimeout(() => {
      this.timer = null
      const p = this.pending
      this.pending = null
      if (p) this.emitProgress(p)
    }, Math.max(wait, 0))
  }

  dispose(): void {
    this.cancelPending()
  }

  private emitProgress(e: RunEvent): void {
    this.lastSent = this.timers.now()
    this.send(e)
  }

  private cancelPending(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    this.pending = null
  }
}

/** Sends the latest value at most once per interval, and always sends the last one (nothing is lost: each value is complete). */
export class Coalescer<T> {
  private lastSent = -Infinity
  private pending: { value: T } | null = null
  private timer: unknown = null

  constructor(
    private readonly send: (v: T) => void,
    private readonly intervalMs = 100,
    private readonly timers: TimerApi = realTimers,
  ) {}

  push(value: T): void {
    const wait = this.lastSent + this.intervalMs - this.timers.now()
    if (wait <= 0 && this.timer === null) {
      this.lastSent = this.timers.now()
      this.send(value)
      return
    }
    this.pending = { value }
    this.timer ??= this.timers.setTimeout(() => {
      this.timer = null
      const p = this.pending
      this.pending = null
      if (p) {
        this.lastSent = this.timers.now()
        this.send(p.value)
      }
    }, Math.max(wait, 0))
  }

  dispose(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    this.pending = null
  }
}
