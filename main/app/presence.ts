// Where each configured drive is: the drive watcher says plugged in / removed, zpool list says imported,
// and a run's events say what the run did to the pool (imported, exported, powered off). Also the
// processes that kept a pool busy at the last failed export, shown until the drive is plugged in again.
import type { RunEvent } from '../../shared/events'
import type { DrivePresence, DriveStatus } from '../../shared/wire'

type Holders = NonNullable<DriveStatus['busyHolders']>

export class Presence {
  private readonly where = new Map<string, DrivePresence>()
  private readonly holders = new Map<string, Holders>()

  /** `known` says whether a drive name is configured: events about other drives are ignored. */
  constructor(private readonly known: (drive: string) => boolean) {}

  of(drive: string): DrivePresence {
    return this.where.get(drive) ?? 'absent'
  }

  holdersOf(drive: string): Holders | null {
    return this.holders.get(drive) ?? null
  }

  set(drive: string, p: DrivePresence): void {
    if (this.known(drive)) this.where.set(drive, p)
  }

  /** Plugged in. A run on that drive knows better (it may have imported the pool already). */
  connected(drive: string, runOnIt: boolean): void {
    if (!runOnIt) this.set(drive, 'connected')
    this.holders.delete(drive)
  }

  /** Powering a drive off removes its block devices, which the watcher reports as a removal: the drive
   *  stays "powered off, safe to unplug" until it is plugged in again. */
  removed(drive: string): void {
    if (this.of(drive) !== 'poweredOff') this.set(drive, 'absent')
  }

  /** What zpool list says now; a drive a run is using keeps what the run said. */
  imported(drives: readonly string[], importedNow: ReadonlySet<string>, runOn: string | null): void {
    for (const d of drives) {
      if (importedNow.has(d)) this.set(d, 'imported')
      else if (this.of(d) === 'imported' && d !== runOn) this.set(d, 'connected')
    }
  }

  /** What a run on `drive` reports about its pool. */
  onRunEvent(drive: string | null, e: RunEvent): void {
    if (!drive) return
    if (e.type === 'error' && e.holders) this.holders.set(drive, e.holders)
    if (e.type !== 'step-finished' || e.outcome !== 'ok') return
    if (e.step === 'import') this.set(drive, 'imported')
    if (e.step === 'export') {
      this.set(drive, 'exported')
      this.holders.delete(drive)
    }
    if (e.step === 'power-off') this.set(drive, 'poweredOff')
  }
}
