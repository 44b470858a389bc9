// The backup engine (its native zfs send | zfs receive) against real OpenZFS, udev and udisks in the VM: what a user would see from
// `zfs-drive-backup backup` and from the tray app's progress.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backup } from '../../main/engine/backup'
import type { RunEvent } from '../../shared/events'
import { RunEvent as RunEventSchema } from '../../shared/events'
import { acquireLock } from '../../main/engine/lock'
import { ProcessRunner } from '../../main/system/runner'
import type { Config } from '../../main/config/schema'
import { importOnOwnDisk, plug, replug, unplug } from './guest/drives'
import { saveArtifact } from './guest/env'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, snapshotGuids, writeRandom, zfsGet, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'
import { unwrapDieWithParent } from '../../main/system/setpriv'

const tmp = mkdtempSync('/tmp/engine-')
const lockPath = join(tmp, 'run.lock')

async function run(config: Config, opts: { driveName?: string; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {}) {
  const events: RunEvent[] = []
  const outcome = await backup({
    config, runner: new ProcessRunner(), lockPath, signal: opts.signal ?? new AbortController().signal,
    ...(opts.driveName ? { driveName: opts.driveName } : {}),
    emit: (e) => {
      RunEventSchema.parse(e)
      events.push(e)
      opts.onEvent?.(e)
    },
  })
  return { outcome, events, commands: events.flatMap((e) => (e.type === 'command' ? [e.argv] : [])), error: events.find((e) => e.type === 'error') }
}

let src: SourcePool
let drive: BackupDrive
let config: Config

beforeAll(async () => {
  src = await makeSource('laptop')
  writeRandom(src, 'photos.bin', 24)
  await snap(src, 'daily')
  writeRandom(src, 'notes.bin', 4)
  await snap(src)
  drive = await makeBackupDrive('eng1', 'backup')
  config = configFor(src, [{ name: 'T7', drive }])
})

afterAll(async () => {
  for (const p of await importedPools()) if (p !== 'laptop') await sh(['zpool', 'export', '-f', p], { ok: false })
})

describe('backup to a freshly set-up drive', () => {
  it('sends everything raw, shows byte progress with a known total, then leaves the drive powered off', async () => {
    const progress: { t: number; e: Extract<RunEvent, { type: 'progress' }> }[] = []
    const r = await run(config, { onEvent: (e) => e.type === 'progress' && progress.push({ t: Date.now(), e }) })
    saveArtifact('backup/first-run-events.json', JSON.stringify(r.events, null, 1))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    // The app's own raw transfer: zfs send straight into zfs receive, no syncoid, no perl.
    expect(r.commands).toContainEqual(expect.arrayContaining(['zfs', 'send', '-w', '-v', '-P']))
    expect(r.commands).toContainEqual(expect.arrayContaining(['zfs', 'receive', '-s', '-u', 'backup/laptop']))
    expect(r.commands.some((a) => unwrapDieWithParent(a)[0] === 'syncoid')).toBe(false)
    expect(importOnOwnDisk(r.commands, drive.usb.byId, drive.guid)).toEqual(['-N', '-o', 'failmode=continue'])
    expect(r.commands).toContainEqual(['zpool', 'export', 'backup'])
    expect(r.commands).toContainEqual(['udisksctl', 'power-off', '-b', drive.usb.byId])

    expect(progress.length).toBeGreaterThan(2)
    // The send announces its size before its first byte: every count comes with a total.
    const moving = progress.filter(({ e }) => e.bytes > 0)
    expect(moving[0]!.e.totalBytes).toBeGreaterThan(28 * 1024 * 1024)
    for (const { e } of moving) {
      expect(e.totalBytes).not.toBeNull()
      expect(e.bytes).toBeLessThanOrEqual(e.totalBytes!)
    }
    const counts = progress.map(({ e }) => e.bytes)
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(progress.at(-1)!.e.bytes).toBe(progress.at(-1)!.e.totalBytes)
    // How often updates arrive is a timing figure: npm run bench reports it as (d), a test never asserts it.
    expect(progress.some(({ e }) => e.bytesPerSecond !== null && e.etaSeconds !== null)).toBe(true)

    expect(existsSync(drive.usb.byId)).toBe(false)
  })

  it('the drive holds an encrypted copy whose key never touched it, with every snapshot and the same guids', async () => {
    await replug(drive.usb)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    expect(await zfsGet('backup/laptop', 'encryption')).toBe('aes-256-gcm')
    expect(await zfsGet('backup/laptop', 'keystatus')).toBe('unavailable')
    expect([...(await snapshotGuids('backup/laptop'))]).toEqual([...(await snapshotGuids(src.dataset))])
    await sh(['zpool', 'export', 'backup'])
  })
})

describe('later backups', () => {
  it('with nothing new, still removes snapshots the laptop pruned (syncoid alone would not), and keeps the newest common one', async () => {
    const before = [...(await snapshotGuids(src.dataset)).keys()]
    await sh(['zfs', 'destroy', `${src.dataset}@${before[0]}`])
    const r = await run(config)
    expect(r.outcome).toBe('succeeded')
    expect(r.commands).toContainEqual(['zfs', 'destroy', `backup/laptop@${before[0]}`])
    await replug(drive.usb)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    expect([...(await snapshotGuids('backup/laptop')).keys()]).toEqual(before.slice(1))
    await sh(['zpool', 'export', 'backup'])
  })

  it('imports its own drive by GUID and never touches another pool that is also called "backup"', async () => {
    const foreign = await makeBackupDrive('foreign1', 'backup')
    writeRandom(src, 'more.bin', 2)
    const newest = await snap(src)
    const r = await run(config)
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    // Our drive got the snapshot and was powered off; the other "backup" is still plugged in, exported, untouched.
    expect(existsSync(drive.usb.byId)).toBe(false)
    const listing = (await sh(['zpool', 'import', '-d', '/dev/disk/by-id'])).stdout
    expect(listing).toContain(`id: ${foreign.guid}`)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', foreign.guid])
    expect((await sh(['zfs', 'list', '-H', '-o', 'name', '-r', 'backup'])).stdout.trim()).toBe('backup')
    await sh(['zpool', 'export', 'backup'])
    await unplug(foreign.usb)
    await replug(drive.usb)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    expect((await snapshotGuids('backup/laptop')).get(newest)).toBe((await snapshotGuids(src.dataset)).get(newest))
    await sh(['zpool', 'export', 'backup'])
  })
})

describe('refusals and failures a user can act on', () => {
  it('refuses an unencrypted source before importing anything', async () => {
    const plain = await makeSource('plainlap', { encrypted: false, sizeMb: 256 })
    await snap(plain)
    const r = await run(configFor(plain, [{ name: 'T7', drive }]))
    expect(r.outcome).toBe('failed')
    expect(r.error).toMatchObject({ code: 'source-unencrypted' })
    expect(r.commands.some((a) => a[0] === 'zpool' && a[1] === 'import')).toBe(false)
    await sh(['zpool', 'destroy', 'plainlap'])
  })

  it('says the drive is not connected when it is unplugged', async () => {
    await unplug(drive.usb)
    const r = await run(config)
    expect(r.error).toMatchObject({ code: 'drive-not-connected' })
    await plug(drive.usb)
  })

  it('never runs while another run holds the lock', async () => {
    const lock = acquireLock(lockPath, 'scrub of T7')
    try {
      const r = await run(config)
      expect(r.error).toMatchObject({ code: 'busy-another-run' })
      expect(r.error?.type === 'error' && r.error.message).toMatch(/scrub of T7/)
      expect(r.commands).toEqual([])
    } finally {
      lock.release()
    }
  })

  it('names the process that keeps the pool busy instead of forcing the export', async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    await sh(['zfs', 'mount', 'backup'])
    const holder = execa('sleep', ['600'], { cwd: '/mnt/eng1', reject: false })
    try {
      const r = await run({ ...config, afterBackup: { export: true, powerOff: true } })
      expect(r.outcome).toBe('failed')
      expect(r.error).toMatchObject({ code: 'pool-busy' })
      expect(r.error?.type === 'error' && r.error.holders).toContainEqual({ pid: holder.pid, command: 'sleep', path: '/mnt/eng1' })
      expect(await importedPools()).toContain('backup')
    } finally {
      holder.kill()
      await holder
    }
    await sh(['zpool', 'export', 'backup'])
  })
})

describe('cancelling', () => {
  it('stops the send, exports the pool, records the run as cancelled, and the next run completes', async () => {
    writeRandom(src, 'video.bin', 160)
    const newest = await snap(src)
    const controller = new AbortController()
    const r = await run(config, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.bytes > 8 * 1024 * 1024) controller.abort()
      },
    })
    expect(r.outcome).toBe('cancelled')
    expect(r.events.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'cancelled' })
    expect(await importedPools()).not.toContain('backup')
    const leftovers = (await sh(['pgrep', '-f', 'zfs (send|receive)'], { ok: false })).stdout.trim()
    expect(leftovers).toBe('')

    const again = await run(config)
    expect(again.error).toBeUndefined()
    expect(again.outcome).toBe('succeeded')
    await replug(drive.usb)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    expect((await snapshotGuids('backup/laptop')).get(newest)).toBe((await snapshotGuids(src.dataset)).get(newest))
    await sh(['zpool', 'export', 'backup'])
  })

  it('the CLI cancels on Ctrl-C (SIGINT), exits 130 and records the run in its history', async () => {
    writeRandom(src, 'video2.bin', 160)
    await snap(src)
    const configPath = join(tmp, 'config.json')
    const historyPath = join(tmp, 'history.jsonl')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(configPath, JSON.stringify(config))
    const cli = execa('node', ['out/main/cli.js', 'backup', '--config', configPath, '--history', historyPath, '--json'], { reject: false, env: { XDG_RUNTIME_DIR: tmp } })
    let sent = false
    cli.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!sent && line.includes('"type":"progress"') && JSON.parse(line).bytes > 4 * 1024 * 1024) {
          sent = true
          cli.kill('SIGINT')
        }
      }
    })
    const res = await cli
    expect(sent).toBe(true)
    expect(res.exitCode).toBe(130)
    const history = readFileSync(historyPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(history.at(-1)).toMatchObject({ verb: 'backup', drive: 'T7', outcome: 'cancelled' })
    expect(history.at(-1).steps.find((s: { id: string }) => s.id === 'replicate').commands).toContainEqual(expect.arrayContaining(['zfs', 'send', '-w']))
    expect(await importedPools()).not.toContain('backup')
  })
})
