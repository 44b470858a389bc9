// Where each configured drive is: the drive watcher says plugged in / removed, zpool list says imported,
// and a run's pool-state events say what the run did to the pool (imported, exported, powered off). Also the
// processes that kept a pool busy at the last failed export, shown until the drive is plugged in again.
import type { PoolState, RunEvent } from '../../shared/events'
import type { DrivePresence, DriveStatus } from '../../shared/wire'

type Holders = NonNullable<DriveStatus['busyHolders']>

const POOL_PRESENCE: Record<PoolState, DrivePresence> = { imported: 'imported', exported: 'exported', 'powered-off': 'poweredOff' }

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

  /** What a run reports: the pool's state as it changed it, the processes that kept it busy. */
  onRunEvent(drive: string | null, e: RunEvent): void {
    if (e.type === 'error' && e.holders && drive) this.holders.set(drive, e.holders)
    if (e.type !== 'pool-state') return
    this.set(e.drive, POOL_PRESENCE[e.state])
    if (e.state === 'exported') this.holders.delete(e.drive)
  }
}
