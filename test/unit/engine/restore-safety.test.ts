// A restore cannot be turned against the machine (stand-in zpool/zfs that log every argv; real cp and
// chown on real files): the pool is imported read-only under a root-owned altroot, targets mount
// ro,nosuid,nodev,noexec, an unencrypted target or one whose key is already loaded is refused before the
// passphrase is asked, and `restore file` never writes through a symlink planted at the destination.
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../../main/config/load'
import type { RunEvent } from '../../../shared/events'
import { restoreFile, restoreOpen } from '../../../main/engine/restore'
import { ProcessRunner } from '../../../main/system/runner'
import { encrypted, StandIns, type FakePool } from '../stand-ins/world'

const root = process.getuid?.() === 0
const T7 = '/dev/disk/by-id/usb-Samsung_T7_ZDBTEST222'
const config = parseConfig({
  version: 1,
  sources: [{ dataset: 'rpool/home' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: '222', disk: T7, targets: { 'rpool/home': 'backup/home' } }],
})
const drive = config.drives[0]!
const pool = (over: Partial<FakePool> = {}, home = encrypted(undefined, { mountpoint: '/etc' })): FakePool => ({ name: 'backup', guid: '222', disk: T7, imported: false, datasets: { '': encrypted([]), home }, ...over })

// Each stand-in command starts a node process: several per step, slow on a loaded machine.
vi.setConfig({ testTimeout: 60_000 })

const tools = new StandIns({ pools: [] })
const tmp = mkdtempSync(join(tmpdir(), 'zdb-restore-'))
beforeAll(() => tools.enter())
afterAll(() => tools.leave())
beforeEach(() => void vi.spyOn(process, 'getuid').mockReturnValue(0))
afterEach(() => vi.restoreAllMocks())

async function open(p: FakePool) {
  tools.set({ pools: [p], passphrase: 'pw' })
  const events: RunEvent[] = []
  const asked: string[] = []
  const outcome = await restoreOpen({ config, runner: new ProcessRunner(), emit: (e) => events.push(e), signal: new AbortController().signal, lockPath: join(tmp, 'lock'), restoreBase: join(tmp, 'run'), passphrase: async (ds) => (asked.push(ds), 'pw') })
  const error = events.find((e) => e.type === 'error')
  return { outcome, asked, error: error?.type === 'error' ? error : null, calls: tools.calls(), world: tools.world() }
}

describe.runIf(root)('restore open', () => {
  it('imports read-only under /run/zfs-drive-backup-restore/<guid> and mounts ro,nosuid,nodev,noexec there, whatever mountpoint the drive says', async () => {
    const r = await open(pool())
    expect(r.error).toBeNull()
    const altroot = join(tmp, 'run', '222')
    expect(r.calls).toContainEqual(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '-o', 'readonly=on', '-R', altroot, '222'])
    expect(r.calls).toContainEqual(['zfs', 'mount', '-o', 'ro,nosuid,nodev,noexec', 'backup/home'])
    expect(statSync(altroot)).toMatchObject({ uid: 0 })
    expect(statSync(altroot).mode & 0o777).toBe(0o750)
    expect(r.asked).toEqual(['backup/home'])
  })

  it('refuses an unencrypted target without asking for a passphrase, mounts nothing and exports again', async () => {
    const r = await open(pool({}, { encryption: 'off', keystatus: '-', snapshots: [] }))
    expect(r.error?.code).toBe('target-unencrypted')
    expect(r.asked).toEqual([])
    expect(r.calls.filter((c) => c[1] === 'mount' || c[1] === 'load-key')).toEqual([])
    expect(r.world.pools[0]!.imported).toBe(false)
  })

  it('refuses a target whose key is loaded before the passphrase was asked', async () => {
    const r = await open(pool({}, encrypted(undefined, { keystatus: 'available' })))
    expect(r.error?.code).toBe('restore-pool-unprotected')
    expect(r.asked).toEqual([])
    expect(r.calls.filter((c) => c[1] === 'mount')).toEqual([])
  })

  it('refuses a pool someone imported writable with its own mountpoints', async () => {
    const r = await open(pool({ imported: true }))
    expect(r.error?.code).toBe('restore-pool-unprotected')
    expect(r.asked).toEqual([])
    expect(r.calls.filter((c) => ['mount', 'load-key', 'export'].includes(c[1]!))).toEqual([])
  })
})

describe.runIf(root)('restore file', () => {
  // The "mounted" target: a folder whose .zfs/snapshot/snap1 holds the files.
  const mp = join(tmp, 'mnt')
  const snapDir = join(mp, '.zfs', 'snapshot', 'snap1')
  mkdirSync(snapDir, { recursive: true })
  writeFileSync(join(snapDir, 'a.txt'), 'from the backup\n')
  chownSync(join(snapDir, 'a.txt'), 4321, 4321)
  writeFileSync(join(snapDir, 'tool'), '#!/bin/sh\n')
  chmodSync(join(snapDir, 'tool'), 0o4755)
  const mounted = () => tools.set({ pools: [pool({ imported: true }, encrypted([['snap1', '1', '1', '1795757134']], { mountpoint: mp, mounted: true, keystatus: 'available' }))] })

  function destination(owner: number) {
    const dir = mkdtempSync(join(tmp, 'dest-'))
    chownSync(dir, owner, owner)
    return dir
  }

  it('replaces a symlink planted at the destination instead of writing through it', async () => {
    mounted()
    const dest = destination(1234)
    const victim = join(tmp, 'victim')
    writeFileSync(victim, 'victim\n', { mode: 0o600 })
    symlinkSync(victim, join(dest, 'a.txt'))
    const r = await restoreFile({ runner: new ProcessRunner(), drive, snapshot: 'snap1', path: 'a.txt', toDir: dest, force: true })
    expect(r.to).toBe(join(dest, 'a.txt'))
    expect(readFileSync(victim, 'utf8')).toBe('victim\n')
    expect(lstatSync(join(dest, 'a.txt')).isFile()).toBe(true)
    expect(readFileSync(join(dest, 'a.txt'), 'utf8')).toBe('from the backup\n')
  })

  it('never overwrites without --force, even a dangling symlink', async () => {
    mounted()
    const dest = destination(1234)
    symlinkSync(join(tmp, 'nowhere'), join(dest, 'a.txt'))
    await expect(restoreFile({ runner: new ProcessRunner(), drive, snapshot: 'snap1', path: 'a.txt', toDir: dest })).rejects.toMatchObject({ code: 'restore-destination-exists' })
  })

  it('gives the files to the destination folder\'s owner (no setuid bit survives), and leaves no private folder behind', async () => {
    mounted()
    const dest = destination(1234)
    await restoreFile({ runner: new ProcessRunner(), drive, snapshot: 'snap1', path: 'tool', toDir: dest })
    const st = statSync(join(dest, 'tool'))
    expect([st.uid, st.gid]).toEqual([1234, 1234])
    expect(st.mode & 0o4000).toBe(0)
    expect(readdirSync(dest)).toEqual(['tool'])
  })

  it('keeps the owners the files had in the snapshot when the destination belongs to root', async () => {
    mounted()
    const dest = destination(0)
    await restoreFile({ runner: new ProcessRunner(), drive, snapshot: 'snap1', path: 'a.txt', toDir: dest })
    expect(statSync(join(dest, 'a.txt')).uid).toBe(4321)
  })

  it('refuses a destination folder that is itself a symlink', async () => {
    mounted()
    const dest = destination(1234)
    symlinkSync(dest, join(tmp, 'dest-link'))
    await expect(restoreFile({ runner: new ProcessRunner(), drive, snapshot: 'snap1', path: 'a.txt', toDir: join(tmp, 'dest-link') })).rejects.toMatchObject({ code: 'restore-path-invalid' })
  })
})
