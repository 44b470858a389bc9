// "Time to rehearse your passphrase": while a drive is connected and its key check is due
// (main/engine/key-check.ts), a quiet notification, at most once a day per drive. Checked when the drive
// is plugged in and once a day; the card says the same for as long as it is due.
import type { KeyCheckStatus } from '../engine/key-check'

const DAY_MS = 24 * 60 * 60 * 1000

export interface KeyNotifier {
  keyCheck?(drive: string, days: number | null): Promise<unknown>
}

export class KeyReminders {
  private readonly notifiedAt = new Map<string, number>()

  constructor(
    private readonly o: {
      notifier: KeyNotifier | undefined
      now: () => number
      status: (drive: string) => KeyCheckStatus | undefined
      /** Plugged in (connected, imported or exported): a rehearsal needs the drive. */
      connected: (drive: string) => boolean
    },
  ) {}

  check(drives: readonly string[]): void {
    const notify = this.o.notifier?.keyCheck?.bind(this.o.notifier)
    if (!notify) return
    for (const d of drives) {
      const st = this.o.status(d)
      if (!st?.due || !this.o.connected(d)) continue
      const last = this.notifiedAt.get(d)
      if (last !== undefined && this.o.now() - last < DAY_MS) continue
      this.notifiedAt.set(d, this.o.now())
      void notify(d, st.days).catch(() => undefined)
    }
  }
}
