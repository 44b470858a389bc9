// Tells the app when one of its backup drives is plugged in or pulled out, without polling.
//
// A drive is recognised by its pool GUID (the zfs_member partition's IdUUID / ID_FS_UUID, in decimal),
// never by the pool name alone: every guide-following user has a pool called "backup", and importing
// someone else's would be wrong. A pool with a configured name but another GUID is reported as
// `unknownPool` with `namesake` set, so the UI can say "this is not your backup drive".
//
// UDisks2 on the system bus is the primary source (what desktops use, and needs no privileges); when there
// is no system bus or no UDisks2, `udevadm monitor` is used instead.
import { systemBus } from 'dbus-next'
import type { DriveConfig } from '../config/schema'
import { openBus, type MessageBus } from './dbus'
import { TypedEmitter } from './emitter'
import { MemberTracker } from './drive-watcher/tracker'
import type { DriveWatcherEvents, MemberSource } from './drive-watcher/types'
import { UdevSource } from './drive-watcher/udev-source'
import { UdisksSource, UdisksUnavailable } from './drive-watcher/udisks-source'

export type { DriveConnected, DriveRemoved, DriveWatcherEvents, UnknownPool } from './drive-watcher/types'

export interface DriveWatcherOptions {
  drives: readonly DriveConfig[]
  /** 'auto' tries UDisks2 and falls back to udev. */
  backend?: 'auto' | 'udisks' | 'udev'
  /** The system bus; tests pass a private bus. Ignored with backend 'udev'. */
  bus?: () => MessageBus
  /** How long a pool member must stay gone before the drive counts as removed. */
  debounceMs?: number
  now?: () => Date
  udevadm?: string
}

export interface ConnectedDrive {
  drive: DriveConfig
  device: string
}

export class DriveWatcher extends TypedEmitter<DriveWatcherEvents> {
  private source: MemberSource | undefined
  private bus: MessageBus | undefined
  private readonly tracker: MemberTracker
  private readonly now: () => Date

  private constructor(private readonly opts: DriveWatcherOptions) {
    super()
    this.now = opts.now ?? (() => new Date())
    this.tracker = new MemberTracker(opts.drives, opts.debounceMs ?? 500, {
      connected: (drive, device, atStart) => this.emit('driveConnected', { drive, device, at: this.now(), atStart }),
      removed: (drive) => this.emit('driveRemoved', { drive, at: this.now() }),
      unknown: (pool) => this.emit('unknownPool', { ...pool, at: this.now() }),
    })
  }

  /**
   * Starts watching. Drives already plugged in are reported (atStart: true) while starting, so listeners
   * that must see them are attached in `listen`, before the first enumeration.
   */
  static async start(opts: DriveWatcherOptions, listen?: (w: DriveWatcher) => void): Promise<DriveWatcher> {
    const w = new DriveWatcher(opts)
    listen?.(w)
    await w.begin()
    return w
  }

  /** Which backend is in use: 'udisks' or 'udev'. */
  get backend(): 'udisks' | 'udev' | undefined {
    return this.source?.name
  }

  current(): ConnectedDrive[] {
    return this.tracker.current()
  }

  /** After a config change: newly configured drives that are present connect, dropped ones are removed. */
  setDrives(drives: readonly DriveConfig[]): void {
    this.tracker.setDrives(drives)
  }

  async stop(): Promise<void> {
    this.tracker.dispose()
    await this.source?.stop()
    this.source = undefined
    this.bus?.disconnect()
    this.bus = undefined
    this.removeAllListeners()
  }

  private async begin(): Promise<void> {
    const backend = this.opts.backend ?? 'auto'
    if (backend !== 'udev') {
      try {
        await this.startUdisks()
      } catch (err) {
        if (backend === 'udisks') throw err
        // Expected on systems without udisks2 or without a system bus; the udev path covers them.
        if (!(err instanceof UdisksUnavailable)) this.emit('error', new Error(`UDisks2 unusable, watching udev instead: ${String(err)}`))
      }
    }
    if (!this.source) {
      const udev = new UdevSource({ udevadm: this.opts.udevadm, onError: (e) => this.emit('error', e) })
      await udev.start(this.tracker)
      this.source = udev
    }
    this.tracker.started()
  }

  private async startUdisks(): Promise<void> {
    const bus = await openBus(this.opts.bus ?? (() => systemBus()), 5000, (e) => this.emit('error', e instanceof Error ? e : new Error(String(e))))
    const source = new UdisksSource(bus)
    try {
      await source.start(this.tracker)
    } catch (err) {
      bus.disconnect()
      throw err
    }
    this.bus = bus
    this.source = source
  }
}
