// Building blocks for engine tests inside the VM: an encrypted "laptop" pool on a file vdev, and backup
// drives prepared exactly as the guide does (parted + its zpool create), each with unique names.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import type { Config } from '../../../main/config/schema'
import { configSchema } from '../../../main/config/schema'
import { newDrive, plug, unplug, waitFor, type UsbDrive } from './drives'
import { sh } from './sh'
import { existsSync } from 'node:fs'

export const PASSPHRASE = 'correct horse battery staple'

export interface SourcePool {
  pool: string
  dataset: string
  mountpoint: string
}

/** An encrypted dataset like the guide's rpool/nixos/home, on a sparse file so tests need no extra disk. */
export async function makeSource(pool: string, opts: { encrypted?: boolean; sizeMb?: number } = {}): Promise<SourcePool> {
  const img = `/var/tmp/${pool}.img`
  await sh(['truncate', '-s', `${opts.sizeMb ?? 1024}M`, img])
  await sh(['zpool', 'create', '-f', '-o', 'ashift=12', '-O', 'compression=lz4', '-O', 'mountpoint=none', pool, img])
  const dataset = `${pool}/home`
  const mountpoint = `/srv/${pool}`
  writeFileSync(`/root/${pool}.key`, PASSPHRASE)
  const enc = opts.encrypted ?? true ? ['-o', 'encryption=aes-256-gcm', '-o', 'keyformat=passphrase', '-o', `keylocation=file:///root/${pool}.key`] : []
  await sh(['zfs', 'create', ...enc, '-o', `mountpoint=${mountpoint}`, dataset])
  return { pool, dataset, mountpoint }
}

export function writeRandom(src: SourcePool, name: string, mb: number): void {
  mkdirSync(src.mountpoint, { recursive: true })
  writeFileSync(`${src.mountpoint}/${name}`, randomBytes(mb * 1024 * 1024))
}

let clock = Date.now()
/** A sanoid-style snapshot name, each a minute after the last. */
export async function snap(src: SourcePool, kind = 'hourly'): Promise<string> {
  clock += 60_000
  const name = `autosnap_${new Date(clock).toISOString().slice(0, 19).replace('T', '_')}_${kind}`
  await sh(['zfs', 'snapshot', `${src.dataset}@${name}`])
  return name
}

export interface BackupDrive {
  usb: UsbDrive
  pool: string
  guid: string
}

/** A drive set up by the guide's sections 3–4, then exported and left plugged in (or unplugged). */
export async function makeBackupDrive(id: string, pool: string, opts: { plugged?: boolean; sizeMb?: number; throttleable?: boolean } = {}): Promise<BackupDrive> {
  const usb = newDrive(id, (opts.sizeMb ?? 1024) * 1024 * 1024)
  await plug(usb, { throttleable: opts.throttleable ?? false })
  await sh(['parted', '--script', '--align=optimal', usb.byId, '--', 'mklabel', 'gpt', 'mkpart', pool, '0%', '100%'])
  await sh(['udevadm', 'settle'])
  await waitFor('the partition', () => existsSync(`${usb.byId}-part1`))
  await sh(['zpool', 'create', '-o', 'ashift=12', '-o', 'autotrim=on', '-O', 'acltype=posixacl', '-O', 'compression=zstd', '-O', 'dnodesize=auto',
    '-O', 'normalization=formD', '-O', 'relatime=on', '-O', 'xattr=sa', '-O', 'readonly=on', '-O', 'canmount=on', '-O', `mountpoint=/mnt/${id}`, pool, `${usb.byId}-part1`])
  const guid = (await sh(['zpool', 'get', '-H', '-p', '-o', 'value', 'guid', pool])).stdout.trim()
  await sh(['zpool', 'export', pool])
  if (opts.plugged === false) await unplug(usb)
  return { usb, pool, guid }
}

export function configFor(src: SourcePool | SourcePool[], drives: { name: string; drive: BackupDrive; target?: string }[], over: Partial<Config> = {}): Config {
  const sources = Array.isArray(src) ? src : [src]
  return configSchema.parse({
    version: 1,
    sources: sources.map((s) => ({ dataset: s.dataset, ...(over.sources?.find((x) => x.dataset === s.dataset) ?? {}) })),
    drives: drives.map(({ name, drive, target }) => ({
      name, pool: drive.pool, poolGuid: drive.guid, disk: drive.usb.byId,
      targets: Object.fromEntries(sources.map((s, i) => [s.dataset, target && i === 0 ? target : `${drive.pool}/${s.pool}`])),
    })),
    ...Object.fromEntries(Object.entries(over).filter(([k]) => k !== 'sources')),
  })
}

export async function zfsGet(ds: string, prop: string): Promise<string> {
  return (await sh(['zfs', 'get', '-H', '-o', 'value', prop, ds])).stdout.trim()
}

export async function snapshotGuids(ds: string): Promise<Map<string, string>> {
  const { stdout } = await sh(['zfs', 'list', '-H', '-p', '-t', 'snapshot', '-o', 'name,guid', '-d', '1', ds])
  return new Map(stdout.trim().split('\n').filter(Boolean).map((l) => {
    const [n, g] = l.split('\t')
    return [n!.split('@')[1]!, g!]
  }))
}

export async function importedPools(): Promise<string[]> {
  return (await sh(['zpool', 'list', '-H', '-o', 'name'])).stdout.trim().split('\n').filter(Boolean)
}
