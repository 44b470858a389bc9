// Byte progress for a replication, over its segments (one per transfer). Each segment's total is known
// before its first byte: the native send prints its own size first; the syncoid path estimates with
// `zfs send -nvP`. Emitted at least once a second even when the count is silent, so a stall shows as a
// falling rate and no ETA instead of a frozen bar; bytes never fall and never pass the total.
import type { Progress } from '../../shared/events'

interface Sample {
  t: number
  bytes: number
}

export class ProgressMeter {
  private base = 0
  private current = 0
  private segment = 0
  private samples: Sample[] = []
  private timer: NodeJS.Timeout
  private lastEmit = 0
  /** False until some size is known (a native run before its first send's header): the total is then null. */
  private known: boolean

  constructor(
    private readonly estimates: number[] | number,
    private readonly emit: (p: Progress) => void,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 5_000,
    opts: { totalUnknown?: boolean } = {},
  ) {
    this.known = !opts.totalUnknown
    this.timer = setInterval(() => this.tick(), 1000)
    this.timer.unref?.()
    this.tick()
  }

  private get estimateList(): number[] {
    return Array.isArray(this.estimates) ? this.estimates : [this.estimates]
  }

  /** The current segment's size, once its send announced it. */
  setEstimate(bytes: number): void {
    this.setEstimateAt(this.segment, bytes)
  }

  /** A later segment's size (from a dry run); ignored once that segment has begun. */
  setEstimateAt(segment: number, bytes: number, onlyIfPending = false): void {
    if (!Array.isArray(this.estimates) || segment < this.segment || (onlyIfPending && segment === this.segment)) return
    this.estimates[segment] = bytes
    this.known = true
    this.tick()
  }

  /** The cumulative byte count of the current segment. */
  update(bytes: number): void {
    this.current = Math.max(this.current, bytes)
    if (this.now() - this.lastEmit >= 250) this.tick()
  }

  finishSegment(): void {
    this.base += Math.max(this.current, this.estimateList[this.segment] ?? 0)
    this.current = 0
    this.segment++
    this.tick()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private get total(): number {
    const list = this.estimateList
    const rest = list.slice(this.segment + 1).reduce((a, b) => a + b, 0)
    return this.base + Math.max(this.current, list[this.segment] ?? 0) + rest
  }

  snapshot(): Progress {
    const t = this.now()
    const bytes = this.base + this.current
    this.samples.push({ t, bytes })
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift()
    const first = this.samples[0]!
    const span = t - first.t
    const rate = span >= 900 ? ((bytes - first.bytes) * 1000) / span : null
    if (!this.known) return { bytes, totalBytes: null, bytesPerSecond: rate, etaSeconds: null }
    const total = this.total
    const eta = rate && rate > 0 ? (total - bytes) / rate : null
    return { bytes: Math.min(bytes, total), totalBytes: total, bytesPerSecond: rate, etaSeconds: eta }
  }

  private tick(): void {
    this.lastEmit = this.now()
    this.emit(this.snapshot())
  }
}
