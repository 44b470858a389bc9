// Block devices: lsblk's JSON, /dev/disk/by-id links, and udev properties. Used to find the backup drive
// and to recognise a zfs_member partition (udev's ID_FS_UUID of a zfs_member is the pool GUID in decimal).
import { readdir, readlink } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { Runner } from './runner'

export const LSBLK_COLUMNS = ['NAME', 'PATH', 'SIZE', 'TYPE', 'TRAN', 'MODEL', 'SERIAL', 'MOUNTPOINTS', 'FSTYPE', 'LABEL', 'UUID', 'PKNAME', 'HOTPLUG', 'RM'] as const

export interface BlockDevice {
  name: string
  path: string
  size: number
  /** 'disk', 'part', 'rom', 'loop' … */
  type: string
  /** 'usb', 'sata', 'nvme', 'ata', or null (virtio and partitions report none). */
  tran: string | null
  model: string | null
  serial: string | null
  mountpoints: string[]
  fstype: string | null
  label: string | null
  uuid: string | null
  /** Parent kernel name for partitions. */
  pkname: string | null
  hotplug: boolean
  removable: boolean
  children: BlockDevice[]
}

export function lsblkArgv(): string[] {
  return ['lsblk', '-J', '-b', '-o', LSBLK_COLUMNS.join(',')]
}

type Raw = Record<string, unknown>

const s = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v.trim() : null)
// util-linux prints booleans as JSON true/false, older versions as "1"/"0".
const b = (v: unknown): boolean => v === true || v === '1' || v === 1

function toDevice(r: Raw): BlockDevice {
  const mps = Array.isArray(r.mountpoints) ? r.mountpoints : [r.mountpoint]
  return {
    name: s(r.name) ?? '',
    path: s(r.path) ?? `/dev/${String(r.name)}`,
    size: typeof r.size === 'number' ? r.size : Number(r.size ?? 0),
    type: s(r.type) ?? '',
    tran: s(r.tran),
    model: s(r.model),
    serial: s(r.serial),
    mountpoints: mps.filter((m): m is string => typeof m === 'string' && m !== ''),
    fstype: s(r.fstype),
    label: s(r.label),
    uuid: s(r.uuid),
    pkname: s(r.pkname),
    hotplug: b(r.hotplug),
    removable: b(r.rm),
    children: Array.isArray(r.children) ? (r.children as Raw[]).map(toDevice) : [],
  }
}

/** Parses `lsblk -J -b -o …` into a tree (disks with their partitions as children). */
export function parseLsblk(stdout: string): BlockDevice[] {
  const doc = JSON.parse(stdout) as { blockdevices?: Raw[] }
  return (doc.blockdevices ?? []).map(toDevice)
}

export function flattenDevices(devices: readonly BlockDevice[]): BlockDevice[] {
  return devices.flatMap((d) => [d, ...flattenDevices(d.children)])
}

export async function listBlockDevices(runner: Runner): Promise<BlockDevice[]> {
  return parseLsblk((await runner.run(lsblkArgv())).stdout)
}

/** Partitions carrying a ZFS label: the pool name is the label, the pool GUID the uuid. */
export function zfsMembers(devices: readonly BlockDevice[]): { device: BlockDevice; pool: string | null; poolGuid: string | null }[] {
  return flattenDevices(devices)
    .filter((d) => d.fstype === 'zfs_member')
    .map((device) => ({ device, pool: device.label, poolGuid: device.uuid }))
}

export interface ByIdLink {
  /** /dev/disk/by-id/<name> */
  link: string
  /** The kernel device it points to, e.g. /dev/sda1. */
  device: string
}

/** Reads the /dev/disk/by-id symlinks (a directory can be passed for tests). Missing dir → no links. */
export async function readByIdLinks(dir = '/dev/disk/by-id'): Promise<ByIdLink[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  const links: ByIdLink[] = []
  for (const name of names.sort()) {
    try {
      const target = await readlink(join(dir, name))
      links.push({ link: join('/dev/disk/by-id', name), device: join('/dev', basename(resolve(dir, target))) })
    } catch {
      // Not a symlink, or it vanished (the drive was unplugged) while we looked.
    }
  }
  return links
}

/** The by-id names of a kernel device (/dev/sda or sda). Prefers the most specific bus names
 * (usb-, ata-, nvme-) over wwn- ones, which some USB bridges share between disks. */
export function byIdFor(device: string, links: readonly ByIdLink[]): string[] {
  const dev = device.startsWith('/dev/') ? device : `/dev/${device}`
  const rank = (l: string): number => (/\/wwn-|\/nvme-eui\.|\/nvme-nvme\./.test(l) ? 1 : 0)
  return links
    .filter((l) => l.device === dev)
    .map((l) => l.link)
    .sort((a, b2) => rank(a) - rank(b2) || a.localeCompare(b2))
}

/** Parses `udevadm info --query=property` (KEY=value per line) into a record. */
export function parseUdevProperties(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return out
}
