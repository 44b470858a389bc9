// Preparing a new backup drive (the guide's sections 3 and 4): wipe, partition, create the pool. Only
// argv builders; which disk may be touched at all is decided in engine/disks.ts. Every builder takes the
// whole-disk /dev/disk/by-id path (or its -partN), never /dev/sdX, which can name another disk after a replug.
import { assertByIdPath, assertDatasetName, assertPoolName } from './names'

const PART = /-part\d+$/

function wholeDisk(path: string): string {
  assertByIdPath(path)
  if (PART.test(path)) throw new Error(`${path} is a partition; a whole disk is needed`)
  return path
}

function anyDevice(path: string): string {
  assertByIdPath(path)
  return path
}

/** The first partition's by-id link, as the guide's "${DISK}-part1". */
export function partitionPath(disk: string, n = 1): string {
  return `${wholeDisk(disk)}-part${n}`
}

/** Discards every block (fast erase on SSDs). Best effort: most USB bridges say "Operation not supported". */
export function blkdiscardArgv(disk: string): string[] {
  return ['blkdiscard', '-f', wholeDisk(disk)]
}

/** Erases every filesystem, RAID and partition-table signature libblkid knows on the device. */
export function wipefsArgv(device: string): string[] {
  return ['wipefs', '-a', anyDevice(device)]
}

/** Clears all four ZFS labels of a former pool member (wipefs alone can leave the ones at the end). */
export function labelclearArgv(device: string): string[] {
  return ['zpool', 'labelclear', '-f', anyDevice(device)]
}

/** The guide's partition_disk: one GPT partition named after the pool, aligned, covering the disk. */
export function partedArgv(disk: string, partName = 'backup'): string[] {
  if (!/^[A-Za-z0-9_.-]{1,36}$/.test(partName)) throw new Error(`partition name ${JSON.stringify(partName)}: letters, digits, _ . - only`)
  return ['parted', '--script', '--align=optimal', wholeDisk(disk), '--', 'mklabel', 'gpt', 'mkpart', partName, '0%', '100%']
}

export function partprobeArgv(disk: string): string[] {
  return ['partprobe', wholeDisk(disk)]
}

export function udevSettleArgv(timeoutSeconds = 30): string[] {
  return ['udevadm', 'settle', `--timeout=${timeoutSeconds}`]
}

/**
 * failmode=continue, not the default `wait`: a USB drive can be unplugged (or lose power) mid-write.
 * With `wait`, every later I/O to the pool, and every zpool/zfs command that needs the pool's config
 * lock, blocks until the device comes back and `zpool clear` is run, so the app's own commands would hang
 * with no error to show. With `continue`, new writes fail with EIO at once: the replication fails with a
 * message, and the drive's earlier snapshots are intact (ZFS is copy-on-write; a torn receive is discarded
 * or resumed). Reads of healthy data keep working. Nothing is lost compared with `wait`: writes not yet
 * committed are blocked in both modes.
 */
export const BACKUP_POOL_FAILMODE = 'continue'

/** The guide's `zpool create` options (section 4), plus failmode (above). */
export function guidePoolOptions(mountpoint: string): { pool: Record<string, string>; fs: Record<string, string> } {
  return {
    pool: { ashift: '12', autotrim: 'on', failmode: BACKUP_POOL_FAILMODE },
    fs: {
      acltype: 'posixacl',
      compression: 'zstd',
      dnodesize: 'auto',
      normalization: 'formD',
      relatime: 'on',
      xattr: 'sa',
      readonly: 'on',
      canmount: 'on',
      mountpoint,
    },
  }
}

/** The guide's default mountpoint is /mnt/backup_pool for a pool named backup: /mnt/<pool>_pool. */
export function defaultPoolMountpoint(pool: string): string {
  assertPoolName(pool)
  return `/mnt/${pool}_pool`
}

/** `zpool create` exactly as the guide (no -f: a disk that still carries a pool or filesystem must fail). */
export function zpoolCreateArgv(pool: string, vdev: string, mountpoint: string): string[] {
  assertPoolName(pool)
  anyDevice(vdev)
  if (!mountpoint.startsWith('/') || /[\0\n]/.test(mountpoint)) throw new Error(`mountpoint ${JSON.stringify(mountpoint)} must be an absolute path`)
  const o = guidePoolOptions(mountpoint)
  return [
    'zpool', 'create',
    ...Object.entries(o.pool).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    ...Object.entries(o.fs).flatMap(([k, v]) => ['-O', `${k}=${v}`]),
    pool, vdev,
  ]
}

/** The target's properties from the guide's 5.1 and 5.2. */
export function targetProperties(mountpoint: string): Record<string, string> {
  return { readonly: 'on', snapdir: 'visible', mountpoint, canmount: 'on' }
}

/** `zfs load-key -n`: checks the passphrase (read from stdin) without loading the key. */
export function loadKeyDryRunArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'load-key', '-n', '-L', 'prompt', dataset]
}

/** Copies one file or folder out of a snapshot keeping mode, owner, times, links and xattrs. */
export function copyOutArgv(from: string, to: string): string[] {
  if (!from.startsWith('/') || !to.startsWith('/')) throw new Error('copy paths must be absolute')
  return ['cp', '-a', '-T', '--', from, to]
}
