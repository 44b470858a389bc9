// Which disks may become a backup drive. A disk is never eligible when it holds the running system, a
// mounted filesystem, active swap, or a member of an imported pool; the pure part (assessDisks) works
// on captured `lsblk -J` output so every rule is unit-tested, the rest reads the live system.
import { readFile, realpath } from 'node:fs/promises'
import type { DriveConfig } from '../config/schema'
import { byIdPathRule } from '../system/names'
import { byIdFor, flattenDevices, listBlockDevices, readByIdLinks, type BlockDevice, type ByIdLink } from '../system/lsblk'
import type { Runner } from '../system/runner'
import { listPools, type PoolListEntry } from '../system/zpool'
import { LifecycleError } from './lifecycle-errors'

/** Mountpoints that mean "this disk runs the system". */
const SYSTEM_MOUNTS = ['/', '/boot', '/boot/efi', '/efi', '/usr', '/var', '/home', '/nix', '/nix/store', '/opt', '/srv', '/tmp']

export interface PoolOnDisk {
  name: string | null
  guid: string | null
  imported: boolean
  /** The configured drive whose pool this is. */
  configuredAs: string | null
}

export interface DiskCandidate {
  /** Most specific /dev/disk/by-id link (usb-/ata-/nvme- before wwn-); null when udev made none. */
  byId: string | null
  device: string
  model: string | null
  serial: string | null
  sizeBytes: number
  transport: string | null
  eligible: boolean
  /** Why the disk may not be formatted. */
  reason?: string
  /** What formatting it would destroy, for the confirmation screen. */
  pools: PoolOnDisk[]
}

export interface DiskFacts {
  devices: readonly BlockDevice[]
  links: readonly ByIdLink[]
  pools: readonly PoolListEntry[]
  drives: readonly DriveConfig[]
  /** Pools that hold a mounted system path (ZFS on root: lsblk shows no mountpoint for its disk). */
  systemPools?: readonly string[]
}

const isSystemMount = (m: string): boolean => SYSTEM_MOUNTS.includes(m)

function ignored(d: BlockDevice): boolean {
  return d.type !== 'disk' || /^(fd|loop|zram|ram|nbd|sr)\d*$/.test(d.name) || d.size === 0
}

/** Why a whole disk must not be formatted (first matching rule), or undefined. */
export function whyIneligible(disk: BlockDevice, facts: DiskFacts): string | undefined {
  const all = flattenDevices([disk])
  const mounts = all.flatMap((d) => d.mountpoints.filter((m) => m !== '[SWAP]').map((m) => ({ d, m })))
  const sys = mounts.find(({ m }) => isSystemMount(m))
  if (sys) return `holds the running system (${sys.d.path} is mounted at ${sys.m})`
  const members = all.filter((d) => d.fstype === 'zfs_member')
  const systemPool = members.find((m) => m.label && facts.systemPools?.includes(m.label))
  if (systemPool) return `holds the running system (pool ${systemPool.label} on ${systemPool.path})`
  const swap = all.find((d) => d.mountpoints.includes('[SWAP]'))
  if (swap) return `${swap.path} is in use as swap`
  if (mounts.length) return `has a mounted filesystem (${mounts[0]!.d.path} at ${mounts[0]!.m})`
  const imported = members.find((m) => facts.pools.some((p) => p.guid === m.uuid || (m.uuid === null && p.name === m.label)))
  if (imported) return `${imported.path} is a member of the imported pool ${imported.label ?? '?'}`
  return undefined
}

export function poolsOnDisk(disk: BlockDevice, facts: DiskFacts): PoolOnDisk[] {
  return flattenDevices([disk])
    .filter((d) => d.fstype === 'zfs_member')
    .map((d) => ({
      name: d.label,
      guid: d.uuid,
      imported: facts.pools.some((p) => p.guid === d.uuid),
      configuredAs: facts.drives.find((x) => x.poolGuid === d.uuid)?.name ?? null,
    }))
}

export function candidateFor(disk: BlockDevice, facts: DiskFacts): DiskCandidate {
  const byId = byIdFor(disk.path, facts.links)[0] ?? null
  const why = whyIneligible(disk, facts) ?? (byId ? undefined : 'has no /dev/disk/by-id link, so it cannot be named safely')
  return {
    byId,
    device: disk.path,
    model: disk.model,
    serial: disk.serial,
    sizeBytes: disk.size,
    transport: disk.tran,
    eligible: why === undefined,
    ...(why ? { reason: why } : {}),
    pools: poolsOnDisk(disk, facts),
  }
}

/** Every whole disk, USB first, then eligible before ineligible, then by by-id name. */
export function assessDisks(facts: DiskFacts): DiskCandidate[] {
  const rank = (c: DiskCandidate): number => (c.transport === 'usb' ? 0 : 2) + (c.eligible ? 0 : 1)
  return facts.devices
    .filter((d) => !ignored(d))
    .map((d) => candidateFor(d, facts))
    .sort((a, b) => rank(a) - rank(b) || (a.byId ?? a.device).localeCompare(b.byId ?? b.device))
}

/** The typed confirmation: the by-id name exactly, with or without the /dev/disk/by-id/ prefix. */
export function confirmationMatches(byId: string, confirm: string | undefined): boolean {
  if (confirm === undefined) return false
  const name = byId.slice(byId.lastIndexOf('/') + 1)
  return confirm === name || confirm === byId
}

/** The name the user has to type to confirm. */
export function confirmationWord(byId: string): string {
  return byId.slice(byId.lastIndexOf('/') + 1)
}

/** Pools whose datasets are mounted on system paths, from /proc/self/mounts (ZFS root on NixOS etc.). */
export function parseSystemPools(mounts: string): string[] {
  const pools = new Set<string>()
  for (const line of mounts.split('\n')) {
    const [source, target, type] = line.split(' ')
    if (type === 'zfs' && source && target && isSystemMount(target.replace(/\\040/g, ' '))) pools.add(source.split('/')[0]!)
  }
  return [...pools]
}

export async function readDiskFacts(runner: Runner, drives: readonly DriveConfig[], byIdDir?: string): Promise<DiskFacts> {
  const [devices, links, pools] = await Promise.all([listBlockDevices(runner), readByIdLinks(byIdDir), listPools(runner).catch(() => [])])
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '')
  return { devices, links, pools, drives, systemPools: parseSystemPools(mounts) }
}

export async function listDiskCandidates(runner: Runner, drives: readonly DriveConfig[]): Promise<DiskCandidate[]> {
  return assessDisks(await readDiskFacts(runner, drives))
}

/**
 * Resolves a user-given by-id path to the whole disk it names, refusing anything else: a path outside
 * /dev/disk/by-id (sdX names move between plugs), a partition, a link that does not exist.
 */
export async function resolveDisk(path: string, facts: DiskFacts): Promise<BlockDevice> {
  const rule = byIdPathRule(path)
  if (rule) {
    throw new LifecycleError('disk-not-by-id', `${path}: ${rule}.`, 'Name the disk by its /dev/disk/by-id/ link (see `zfs-drive-backup disks`): /dev/sdX names can point to another disk after a replug.')
  }
  if (/-part\d+$/.test(path)) throw new LifecycleError('disk-not-by-id', `${path} is a partition.`, 'Give the whole disk (the link without -partN).')
  let dev: string
  try {
    dev = await realpath(path)
  } catch {
    throw new LifecycleError('disk-not-found', `${path} does not exist.`, 'Plug the drive in, or pick one from `zfs-drive-backup disks`.')
  }
  const disk = facts.devices.find((d) => d.path === dev)
  if (!disk) throw new LifecycleError('disk-not-found', `${path} (${dev}) is not a whole disk that lsblk knows.`)
  return disk
}
