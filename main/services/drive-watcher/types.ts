// What a detection backend (UDisks2 or udevadm) reports: block devices that carry a ZFS pool member,
// nothing more. Matching them to configured drives is the tracker's job, the same for both backends.
import type { DriveConfig } from '../../config/schema'

export interface ZfsMember {
  /** Stable per block device within one backend: the UDisks2 object path or the udev DEVPATH. */
  key: string
  /** The kernel device, e.g. /dev/sda1. */
  device: string
  /** The pool GUID in decimal, as blkid reports it (ID_FS_UUID / IdUUID). */
  poolGuid: string
  /** The pool name (ID_FS_LABEL / IdLabel). */
  pool: string
}

export interface MemberSink {
  /** A block device now carries a pool member (new, or changed). */
  upsert(member: ZfsMember): void
  /** A block device is gone or no longer a pool member. Unknown keys are ignored. */
  remove(key: string): void
  /** A full enumeration: replaces everything known so far. */
  sync(members: ZfsMember[]): void
}

export interface MemberSource {
  readonly name: 'udisks' | 'udev'
  start(sink: MemberSink): Promise<void>
  stop(): Promise<void>
}

export interface DriveConnected {
  drive: DriveConfig
  /** The partition holding the pool, e.g. /dev/sda1. */
  device: string
  at: Date
  /** True when the drive was already plugged in when the watcher started (no plug event happened). */
  atStart: boolean
}

export interface DriveRemoved {
  drive: DriveConfig
  at: Date
}

/** A pool that is not one of the configured drives; `namesake` is set when it has a configured pool's name. */
export interface UnknownPool {
  pool: string
  poolGuid: string
  device: string
  at: Date
  namesake?: DriveConfig
}

export interface DriveWatcherEvents {
  driveConnected: DriveConnected
  driveRemoved: DriveRemoved
  unknownPool: UnknownPool
  /** The backend had a problem it recovers from (e.g. udevadm restarted); for the log. */
  error: Error
}
