// A drive whose writes can be slowed down on demand, like a slow USB stick: a QEMU throttle group between
// the device and its image (as the e2e tier's guest-app does), with its limit changed live over QMP. With
// ZFS's dirty-data cap lowered too, a `zfs receive` then runs at the drive's pace instead of filling RAM,
// so a test can interrupt a transfer in the middle however fast the machine is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { Qmp } from '../qmp'
import { unplug, waitFor, type UsbDrive } from './drives'
import { hostShare, qmpAddress } from './env'

const groups = new Set<string>()

async function qmp<T>(fn: (q: Qmp) => Promise<T>): Promise<T> {
  const q = await Qmp.connect(qmpAddress())
  try {
    return await fn(q)
  } finally {
    q.close()
  }
}

/** Unplugs the drive and plugs it back in behind a throttle group (no limit until setWriteLimit). */
export async function replugThrottled(drive: UsbDrive): Promise<void> {
  await unplug(drive)
  await qmp(async (q) => {
    if (!groups.has(drive.id)) {
      await q.execute('object-add', { 'qom-type': 'throttle-group', id: `tg-${drive.id}`, limits: {} })
      groups.add(drive.id)
    }
    // Named as drives.ts names a plain drive's node, so its unplug() removes this one too.
    await q.execute('blockdev-add', {
      driver: 'throttle',
      'node-name': `blk-${drive.id}`,
      'throttle-group': `tg-${drive.id}`,
      file: { driver: 'raw', 'node-name': `raw-${drive.id}`, file: { driver: 'file', filename: join(hostShare(), 'drives', `${drive.id}.img`) } },
    })
    await q.execute('device_add', { driver: 'usb-storage', bus: 'xhci.0', drive: `blk-${drive.id}`, id: `usb-${drive.id}`, serial: drive.serial })
  })
  await waitFor(`${drive.byId} to appear`, () => existsSync(drive.byId))
  await execa('udevadm', ['settle', '--timeout=30'])
}

const DIRTY = '/sys/module/zfs/parameters/zfs_dirty_data_max'
let dirtyDefault: string | null = null

/**
 * Limits the drive's writes (bytes per second; 0 lifts the limit) and ZFS's dirty data to match. QEMU's
 * qom-set changes only the limits it is given, so lifting sets bps-write to 0 explicitly.
 */
export async function setWriteLimit(drive: UsbDrive, bytesPerSecond: number): Promise<void> {
  await qmp((q) => q.execute('qom-set', { path: `/objects/tg-${drive.id}`, property: 'limits', value: { 'bps-write': bytesPerSecond } }))
  dirtyDefault ??= readFileSync(DIRTY, 'utf8').trim()
  writeFileSync(DIRTY, bytesPerSecond ? String(4 * bytesPerSecond) : dirtyDefault)
}
