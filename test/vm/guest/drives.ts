// Hot-plug "USB drives" into the VM this test runs in, through QEMU's QMP: the guest's kernel, udev and
// udisks see a real usb-storage disk appear and disappear, as with a real drive.
import { existsSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { Qmp } from '../qmp'
import { guestShare, hostShare, qmpAddress } from './env'

export interface UsbDrive {
  id: string
  serial: string
  /** The drive's whole-disk link, as the guide's DISK variable. */
  byId: string
  /** The image file as the guest sees it (through the 9p share); only touch it while unplugged. */
  imagePath: string
}

async function withQmp<T>(fn: (q: Qmp) => Promise<T>): Promise<T> {
  const q = await Qmp.connect(qmpAddress())
  try {
    return await fn(q)
  } finally {
    q.close()
  }
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return Date.now() - started
}

/** Makes a blank sparse image of the given size for a drive; ids must be unique within one VM boot. */
export function newDrive(id: string, sizeBytes = 1024 ** 3): UsbDrive {
  if (!/^[a-z0-9]{1,16}$/.test(id)) throw new Error(`drive id ${id}: lowercase letters and digits only`)
  const imagePath = join(guestShare(), 'drives', `${id}.img`)
  const fd = openSync(imagePath, 'w')
  ftruncateSync(fd, sizeBytes)
  closeSync(fd)
  const serial = `ZDB${id.toUpperCase()}`
  return { id, serial, imagePath, byId: `/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_${serial}-0:0` }
}

const attached = new Set<string>()
/** Drives plugged through a QEMU throttle filter, whose write limit setWriteLimit changes while plugged. */
const throttleable = new Set<string>()
const groups = new Set<string>()

async function attach(drive: UsbDrive): Promise<void> {
  const file = { driver: 'file', filename: join(hostShare(), 'drives', `${drive.id}.img`) }
  await withQmp(async (q) => {
    if (throttleable.has(drive.id)) {
      if (!groups.has(drive.id)) await q.execute('object-add', { 'qom-type': 'throttle-group', id: `tg-${drive.id}`, limits: {} })
      groups.add(drive.id)
      await q.execute('blockdev-add', { driver: 'throttle', 'node-name': `blk-${drive.id}`, 'throttle-group': `tg-${drive.id}`, file: { driver: 'raw', 'node-name': `raw-${drive.id}`, file } })
    } else {
      await q.execute('blockdev-add', { driver: 'raw', 'node-name': `blk-${drive.id}`, file })
    }
    await q.execute('device_add', { driver: 'usb-storage', bus: 'xhci.0', drive: `blk-${drive.id}`, id: `usb-${drive.id}`, serial: drive.serial })
  })
}

const DIRTY_MAX = '/sys/module/zfs/parameters/zfs_dirty_data_max'
let dirtyDefault: string | null = null

/**
 * Limits how fast a plugged drive writes, like a slow USB stick (0 lifts the limit), and ZFS's dirty-data
 * buffer to match (four seconds of it; put back on 0): otherwise ZFS takes a whole test stream into memory
 * and the receive ends before the drive has seen it. The drive must have been plugged { throttleable: true }.
 * QEMU's qom-set changes only the limits it is given, so lifting sets bps-write to 0 explicitly.
 */
export async function setWriteLimit(drive: UsbDrive, bytesPerSecond: number): Promise<void> {
  if (!groups.has(drive.id)) throw new Error(`drive ${drive.id} was not plugged throttleable`)
  const bps = Math.max(0, bytesPerSecond)
  await withQmp((q) => q.execute('qom-set', { path: `/objects/tg-${drive.id}`, property: 'limits', value: { 'bps-write': bps } }))
  dirtyDefault ??= readFileSync(DIRTY_MAX, 'utf8').trim()
  writeFileSync(DIRTY_MAX, bps ? String(4 * bps) : dirtyDefault)
}

export async function plug(drive: UsbDrive, opts: { throttleable?: boolean } = {}): Promise<void> {
  if (opts.throttleable) throttleable.add(drive.id)
  attached.add(drive.id)
  await attach(drive)
  try {
    await waitFor(`${drive.byId} to appear`, () => existsSync(drive.byId))
  } catch {
    // Rarely, under heavy load, a device re-added right after a power-off never enumerates (the guest's
    // xhci port is still settling). Pull it and plug it in again, as a person would.
    await detach(drive)
    await execa('udevadm', ['settle', '--timeout=30'])
    await attach(drive)
    await waitFor(`${drive.byId} to appear (second try)`, () => existsSync(drive.byId), 60_000)
  }
  // The disk's link comes first; its partitions (and their ZFS labels) are processed right after.
  await execa('udevadm', ['settle', '--timeout=30'])
}

/** Pulls the cable. The device is gone once QEMU reports our device (not its internal SCSI child) deleted. */
export async function unplug(drive: UsbDrive): Promise<void> {
  attached.delete(drive.id)
  await detach(drive)
  // Let the guest finish the disconnect before anything is plugged into that port again.
  await execa('udevadm', ['settle', '--timeout=30'])
}

async function detach(drive: UsbDrive): Promise<void> {
  await withQmp(async (q) => {
    const deleted = q.waitForEvent((e) => e.event === 'DEVICE_DELETED' && e.data?.device === `usb-${drive.id}`)
    await q.execute('device_del', { id: `usb-${drive.id}` })
    await deleted
    await q.execute('blockdev-del', { 'node-name': `blk-${drive.id}` })
  })
}

/** Unplugs (if attached, e.g. after a power-off, which leaves the device on the bus) and plugs back in. */
export async function replug(drive: UsbDrive): Promise<void> {
  if (attached.has(drive.id)) await unplug(drive)
  await plug(drive)
}

/**
 * The `zpool import … <guid>` among a run's commands, checked to have looked only on `disk` (its by-id
 * link and its partitions, never every disk by id); returns the options between the devices and the GUID.
 */
export function importOnOwnDisk(commands: readonly (readonly string[])[], disk: string, guid: string): string[] {
  const imports = commands.filter((a) => a[0] === 'zpool' && a[1] === 'import' && a.at(-1) === guid)
  if (imports.length !== 1) throw new Error(`expected one zpool import of ${guid}, got ${JSON.stringify(imports)}`)
  const argv = imports[0]!
  const dirs = argv.flatMap((a, i) => (argv[i - 1] === '-d' ? [a] : []))
  if (!dirs.includes(disk) || !dirs.every((d) => d === disk || d.startsWith(`${disk}-part`))) throw new Error(`the import looked beyond ${disk}: ${argv.join(' ')}`)
  return argv.slice(2 + dirs.length * 2, -1)
}
