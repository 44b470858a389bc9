// What getting a drive's pool in and out costs in commands, and that the pool is the drive's by GUID at
// each step even where a listing is saved: a `zpool status` of the expected name proves its GUID.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { DriveConfig } from '../../../main/config/schema'
import type { StepContext } from '../../../main/engine/pipeline'
import { exportDrivePool, importDrivePool, poolsHolding } from '../../../main/engine/pool'
import { devices } from '../../../main/system/devices'
import type { CommandResult } from '../../../main/system/runner'
import { fixture } from '../system/fixtures'

const T7 = '/dev/disk/by-id/usb-Samsung_T7_ZDB1'
const GUID = '16412717767768173259'
const drive = { name: 'T7', pool: 'backup', poolGuid: GUID, disk: T7, targets: { 'rpool/home': 'backup/home' } } as DriveConfig

/** The captured `zpool status -jp backup`, as pool `name` with GUID `guid`. */
function status(name: string, guid: string): string {
  const json = JSON.parse(fixture('zpool-status-json-clean.txt')) as { pools: Record<string, { name: string; pool_guid: string; vdevs: Record<string, { vdevs: Record<string, { path: string }> }> }> }
  const p = json.pools.backup!
  Object.values(p.vdevs.backup!.vdevs)[0]!.path = `${T7}-part1`
  return JSON.stringify({ ...json, pools: { [name]: { ...p, name, pool_guid: guid } } })
}

/** A machine where the drive's pool, once imported, is `imported` (name and GUID); `others` are already in. */
function machine(imported: { name: string; guid: string }, others: { name: string; guid: string }[] = []) {
  const ran: string[] = []
  const argvs: string[][] = []
  let pools = [...others]
  const reply = (argv: readonly string[]): { stdout: string; exitCode: number; stderr?: string } => {
    const [tool, verb] = argv
    if (verb === 'import' && !argv.includes(`${T7}-part9`)) pools = [...pools, imported]
    if (verb === 'import' && argv.includes(`${T7}-part9`)) return { stdout: '', exitCode: 1, stderr: 'cannot import \'x\': no such pool available' }
    if (verb === 'export') pools = pools.filter((p) => p.name !== argv.at(-1))
    if (verb === 'list') return { stdout: pools.map((p) => `${p.name}\t${p.guid}\tONLINE\t1000\t10\t990\toff\t-\n`).join(''), exitCode: 0 }
    if (tool === 'zpool' && verb === 'status') {
      if (argv.at(-1) === '-jp') return { stdout: JSON.stringify({ pools: Object.assign({}, ...pools.map((x) => JSON.parse(status(x.name, x.guid)).pools)) }), exitCode: 0 }
      const p = pools.find((x) => x.name === argv.at(-1))
      return p ? { stdout: status(p.name, p.guid), exitCode: 0 } : { stdout: '', exitCode: 1 }
    }
    return { stdout: '', exitCode: 0 }
  }
  const ctx: StepContext = {
    runner: {
      run: async (argv, o): Promise<CommandResult> => {
        ran.push(argv.slice(0, 2).join(' '))
        argvs.push([...argv])
        const r = reply(argv)
        if (r.exitCode !== 0 && !o?.allowFailure) throw new Error(`${argv.join(' ')} failed`)
        return { argv, stderr: '', ...r, durationMs: 1 }
      },
    },
    signal: new AbortController().signal, progress: () => undefined, info: () => undefined, warn: () => undefined, emit: () => undefined, fail: () => undefined,
  }
  return { ctx, ran, argvs }
}

beforeEach(() => {
  vi.spyOn(devices, 'present').mockReturnValue(true)
  vi.spyOn(devices, 'linksOf').mockReturnValue([])
})

describe('a backup run takes the drive\'s pool in and out with as few commands as the GUID allows', () => {
  it('imports by GUID, then one status of the configured name proves the GUID: no second listing', async () => {
    const { ctx, ran } = machine({ name: 'backup', guid: GUID })
    const pool = await importDrivePool(ctx, drive)
    expect(ran).toEqual(['zpool list', 'zpool import', 'zpool status'])
    expect(pool).toMatchObject({ name: 'backup', guid: GUID, importedByUs: true, readonly: false, altroot: null, disk: T7 })
  })

  it('a pool that came in under another name is found by GUID in a listing, and then refused for its targets', async () => {
    const { ctx, ran } = machine({ name: 'renamed', guid: GUID })
    await expect(importDrivePool(ctx, drive)).rejects.toMatchObject({ code: 'pool-name-mismatch' })
    expect(ran).toEqual(['zpool list', 'zpool import', 'zpool status', 'zpool list', 'zpool status', 'zpool export'])
  })

  it('exports under the name it imported, after one status proves the GUID again', async () => {
    const { ctx, ran } = machine({ name: 'backup', guid: GUID })
    const pool = await importDrivePool(ctx, drive)
    ran.length = 0
    expect(await exportDrivePool(ctx, drive, { name: pool.name })).toBe(true)
    expect(ran).toEqual(['zpool status', 'zpool export'])
  })

  it('when the name now belongs to another pool, finds the drive\'s by GUID and exports only that one', async () => {
    const { ctx, ran } = machine({ name: 'backup', guid: GUID })
    await importDrivePool(ctx, drive)
    await exportDrivePool(ctx, drive, { name: 'other' })
    expect(ran.slice(3)).toEqual(['zpool status', 'zpool list', 'zpool status', 'zpool export'])
  })
})

describe('the import looks for the pool on the drive\'s own disk first', () => {
  it('passes the disk and its partitions to zpool import, so no other disk\'s label is read', async () => {
    vi.spyOn(devices, 'linksOf').mockReturnValue([T7, `${T7}-part1`])
    const { ctx, argvs } = machine({ name: 'backup', guid: GUID })
    await importDrivePool(ctx, drive)
    expect(argvs.filter((a) => a[1] === 'import')).toEqual([['zpool', 'import', '-d', T7, '-d', `${T7}-part1`, '-N', '-o', 'failmode=continue', GUID]])
  })

  it('not found there (the pool moved to another enclosure), it scans every disk by id', async () => {
    vi.spyOn(devices, 'linksOf').mockReturnValue([T7, `${T7}-part9`])
    const { ctx, argvs } = machine({ name: 'backup', guid: GUID })
    await importDrivePool(ctx, drive)
    expect(argvs.filter((a) => a[1] === 'import').map((a) => a.slice(2, -4))).toEqual([['-d', T7, '-d', `${T7}-part9`], ['-d', '/dev/disk/by-id']])
  })
})

describe('power-off asks zpool which pools use the disk only when the kernel says something holds it', () => {
  const holding = async (unheld: boolean) => {
    vi.spyOn(devices, 'unheld').mockReturnValue(unheld)
    const { ctx, ran } = machine({ name: 'backup', guid: GUID })
    await importDrivePool(ctx, drive)
    ran.length = 0
    return { pools: await poolsHolding(ctx, T7), ran }
  }
  it('a disk nothing holds needs no command', async () => {
    expect(await holding(true)).toEqual({ pools: [], ran: [] })
  })
  it('a held one is checked against every imported pool, which names the pool on it', async () => {
    expect(await holding(false)).toEqual({ pools: ['backup'], ran: ['zpool status'] })
  })
})
