// A bin folder of stand-in zpool/zfs/syncoid/udisksctl/udevadm/pv (fake-tool.mjs) first on PATH, the
// world they answer from, and the log of every argv they were run with.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { devices } from '../../../main/system/devices'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface FakeDataset {
  encryption: string
  keystatus: 'available' | 'unavailable' | '-'
  mounted?: boolean
  mountpoint?: string
  mountOptions?: string
  snapshots: [string, string, string, string][]
  /** [name, guid, createtxg] */
  bookmarks?: [string, string, string][]
}

export interface FakePool {
  name: string
  guid: string
  disk: string
  imported: boolean
  readonly?: boolean
  altroot?: string | null
  failmode?: string
  /** By name relative to the pool ('' = root). */
  datasets: Record<string, FakeDataset>
}

export interface World {
  pools: FakePool[]
  passphrase?: string
}

export const SNAPS: FakeDataset['snapshots'] = [
  ['autosnap_2026-11-27_00:00:00_hourly', '9630527645254982367', '12', '1795757134'],
  ['autosnap_2026-11-27_01:00:00_hourly', '15711607136447010397', '13', '1795757135'],
]
export const encrypted = (snapshots = SNAPS, over: Partial<FakeDataset> = {}): FakeDataset => ({ encryption: 'aes-256-gcm', keystatus: 'unavailable', snapshots, ...over })

export class StandIns {
  readonly dir = mkdtempSync(join(tmpdir(), 'zdb-standins-'))
  readonly bin = join(this.dir, 'bin')
  readonly log = join(this.dir, 'argv.jsonl')
  readonly worldPath = join(this.dir, 'world.json')
  private savedPath = process.env.PATH
  private savedPresent: ((path: string) => boolean) | null = null

  constructor(world: World) {
    const tool = join(import.meta.dirname, 'fake-tool.mjs')
    mkdirSync(this.bin)
    for (const name of ['zpool', 'zfs', 'syncoid', 'udisksctl', 'udevadm', 'pv']) {
      const p = join(this.bin, name)
      writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${tool}" ${name} "$@"\n`)
      chmodSync(p, 0o755)
    }
    this.set(world)
  }

  set(world: World): void {
    writeFileSync(this.worldPath, JSON.stringify(world))
    writeFileSync(this.log, '')
  }

  world(): World {
    return JSON.parse(readFileSync(this.worldPath, 'utf8')) as World
  }

  /** Every command run, as argv arrays. */
  calls(): string[][] {
    return readFileSync(this.log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[])
  }

  /** Puts the stand-ins first on PATH (and the world and log where they look). */
  enter(): void {
    // The world's disks are plugged in, as far as the engine's checks for a pulled cable can tell.
    this.savedPresent = devices.present
    devices.present = (path) => this.world().pools.some((p) => path === p.disk || path.startsWith(`${p.disk}-part`)) || this.savedPresent!(path)
    process.env.PATH = `${this.bin}:${this.savedPath}`
    process.env.ZDB_LOG = this.log
    process.env.ZDB_WORLD = this.worldPath
  }

  leave(): void {
    if (this.savedPresent) devices.present = this.savedPresent
    process.env.PATH = this.savedPath
  }
}
