// Turns the backend's stream of block-device observations into one "connected" and one "removed" per
// plug cycle of a configured drive.
//
// Connect is reported on the first observation: a zfs_member block with the pool's GUID is conclusive,
// it is the last thing udev/UDisks2 learn about a plugged drive (after the disk and its partition table),
// and its by-id links already exist by then. Removal is debounced instead: a partition rescan (partprobe,
// the kernel re-reading the table after a "change") drops and re-adds the partition within a fraction of a
// second, and that must not look like an unplug followed by a plug.
import type { DriveConfig } from '../../config/schema'
import type { MemberSink, UnknownPool, ZfsMember } from './types'

export interface TrackerCallbacks {
  connected(drive: DriveConfig, device: string, atStart: boolean): void
  removed(drive: DriveConfig): void
  unknown(pool: Omit<UnknownPool, 'at'>): void
}

/** GUIDs compare as numbers: "0123" and "123" are the same pool, and we never trust the exact spelling. */
export function sameGuid(a: string, b: string): boolean {
  try {
    return BigInt(a) === BigInt(b)
  } catch {
    return false
  }
}

export class MemberTracker implements MemberSink {
  private members = new Map<string, ZfsMember>()
  /** guid → device reported in driveConnected, while connected. */
  private connected = new Map<string, { drive: DriveConfig; device: string }>()
  private removalTimers = new Map<string, NodeJS.Timeout>()
  /** GUIDs of unknown pools already reported during their current presence. */
  private unknownSeen = new Set<string>()
  private starting = true

  constructor(
    private drives: readonly DriveConfig[],
    private readonly debounceMs: number,
    private readonly on: TrackerCallbacks,
  ) {}

  /** After the initial enumeration: later connects are plug events, not "was already there". */
  started(): void {
    this.starting = false
  }

  setDrives(drives: readonly DriveConfig[]): void {
    this.drives = drives
    // A drive removed from the config (or whose GUID changed) is no longer "connected" for the app.
    for (const [guid, c] of [...this.connected]) {
      if (!drives.some((d) => d.name === c.drive.name && sameGuid(d.poolGuid, guid))) {
        this.connected.delete(guid)
        this.cancelRemoval(guid)
        this.on.removed(c.drive)
      }
    }
    this.unknownSeen.clear()
    this.evaluate()
  }

  current(): { drive: DriveConfig; device: string }[] {
    return [...this.connected.values()]
  }

  upsert(member: ZfsMember): void {
    this.members.set(member.key, member)
    this.evaluate()
  }

  remove(key: string): void {
    if (this.members.delete(key)) this.evaluate()
  }

  sync(members: ZfsMember[]): void {
    this.members = new Map(members.map((m) => [m.key, m]))
    this.evaluate()
  }

  dispose(): void {
    for (const t of this.removalTimers.values()) clearTimeout(t)
    this.removalTimers.clear()
  }

  private evaluate(): void {
    const present = new Map<string, ZfsMember>()
    for (const m of [...this.members.values()].sort((a, b) => a.device.localeCompare(b.device))) {
      const guid = BigInt(m.poolGuid).toString()
      if (!present.has(guid)) present.set(guid, m)
    }
    for (const [guid, m] of present) {
      const drive = this.drives.find((d) => sameGuid(d.poolGuid, guid))
      if (drive) {
        this.cancelRemoval(guid)
        const c = this.connected.get(guid)
        if (!c) {
          this.connected.set(guid, { drive, device: m.device })
          this.on.connected(drive, m.device, this.starting)
        } else {
          // Replugged within the debounce window, possibly as another /dev/sdX: same session, new name.
          c.device = m.device
        }
      } else if (!this.unknownSeen.has(guid)) {
        this.unknownSeen.add(guid)
        const namesake = this.drives.find((d) => d.pool === m.pool)
        this.on.unknown({ pool: m.pool, poolGuid: guid, device: m.device, ...(namesake ? { namesake } : {}) })
      }
    }
    for (const guid of this.connected.keys()) {
      if (!present.has(guid) && !this.removalTimers.has(guid)) {
        this.removalTimers.set(guid, setTimeout(() => this.confirmRemoval(guid), this.debounceMs))
      }
    }
    for (const guid of [...this.unknownSeen]) if (!present.has(guid)) this.unknownSeen.delete(guid)
  }

  private confirmRemoval(guid: string): void {
    this.removalTimers.delete(guid)
    const c = this.connected.get(guid)
    if (!c || [...this.members.values()].some((m) => sameGuid(m.poolGuid, guid))) return
    this.connected.delete(guid)
    this.on.removed(c.drive)
  }

  private cancelRemoval(guid: string): void {
    const t = this.removalTimers.get(guid)
    if (t) clearTimeout(t)
    this.removalTimers.delete(guid)
  }
}
