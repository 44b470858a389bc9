// "No backup to T7 for 9 days": checked at start and once a day, notified at most once a day per drive,
// and only for a drive that was backed up before (a new drive's card says "never" instead).
import type { Config } from '../config/schema'
import type { TimerApi } from './throttle'

const DAY_MS = 24 * 60 * 60 * 1000

export interface StaleNotifier {
  stale(drive: string, days: number): Promise<unknown>
}

export class StaleReminders {
  private readonly notifiedAt = new Map<string, number>()
  private timer: unknown = null

  constructor(
    private readonly o: {
      notifier: StaleNotifier | undefined
      timers: TimerApi
      config: () => Config
      lastBackupAt: (drive: string) => string | null
      /** Called once a day: the cards' "due" marks move with the clock. */
      onDay: () => void
    },
  ) {}

  start(): void {
    this.check()
    this.schedule()
  }

  check(): void {
    const { notifier, timers } = this.o
    if (!notifier) return
    const now = timers.now()
    const config = this.o.config()
    for (const d of config.drives) {
      const at = this.o.lastBackupAt(d.name)
      if (!at) continue
      const days = Math.floor((now - Date.parse(at)) / DAY_MS)
      if (days <= config.staleAfterDays) continue
      const last = this.notifiedAt.get(d.name)
      if (last !== undefined && now - last < DAY_MS) continue
      this.notifiedAt.set(d.name, now)
      void notifier.stale(d.name, days).catch(() => undefined)
    }
  }

  dispose(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer)
    this.timer = null
  }

  private schedule(): void {
    this.timer = this.o.timers.setTimeout(() => {
      this.check()
      this.o.onDay()
      this.schedule()
    }, DAY_MS)
    ;(this.timer as { unref?: () => void } | null)?.unref?.()
  }
}
