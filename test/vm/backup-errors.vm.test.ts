// The errors users meet, each against real ZFS, and the CLI verbs around a backup.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backup } from '../../main/engine/backup'
import type { RunEvent } from '../../shared/events'
import type { Config } from '../../main/config/schema'
import { ProcessRunner } from '../../main/system/runner'
import { replug, unplug } from './guest/drives'
import { configFor, importedPools, makeBackupDrive, makeSource, PASSPHRASE, snap, snapshotGuids, writeRandom, zfsGet, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'
import { unwrapDieWithParent } from '../../main/system/setpriv'

const tmp = mkdtempSync('/tmp/errors-')
chmodSync(tmp, 0o755)
// The run lock wants a root-only directory; tmp is 0755 so the non-root CLI tests can read the config.
const lockPath = join(mkdtempSync('/tmp/errors-lock-'), 'run.lock')

const sends = (commands: string[][]): boolean => commands.some((a) => (unwrapDieWithParent(a)[0] === 'syncoid' && !a.includes('--version')) || (a.includes('zfs') && a.includes('send') && !a.includes('-n')))

async function run(config: Config, extra: { dryRun?: boolean } = {}) {
  const events: RunEvent[] = []
  const outcome = await backup({ config, runner: new ProcessRunner(), lockPath, signal: new AbortController().signal, emit: (e) => events.push(e), ...extra })
  return { outcome, events, commands: events.flatMap((e) => (e.type === 'command' ? [e.argv] : [])), error: events.find((e) => e.type === 'error') as Extract<RunEvent, { type: 'error' }> | undefined }
}

async function cli(args: string[], opts: { user?: number } = {}) {
  const argv = ['node', join(process.cwd(), 'out/main/cli.js'), ...args]
  const [file, ...rest] = opts.user ? ['setpriv', `--reuid=${opts.user}`, `--regid=${opts.user}`, '--clear-groups', ...argv] : argv
  return execa(file!, rest, { reject: false, env: { XDG_RUNTIME_DIR: tmp }, cwd: tmp })
}

let src: SourcePool
let drive: BackupDrive
let config: Config
let configPath: string
const historyPath = join(tmp, 'history.jsonl')

beforeAll(async () => {
  src = await makeSource('errlap')
  // A dataset name with a space: legal in ZFS, and it must survive every command.
  await sh(['zfs', 'create', '-o', 'mountpoint=/srv/errlap-docs', 'errlap/home/my docs'])
  writeRandom(src, 'a.bin', 4)
  mkdirSync('/srv/errlap-docs/sub dir', { recursive: true })
  writeFileSync('/srv/errlap-docs/sub dir/old name.txt', 'one\n')
  await sh(['zfs', 'snapshot', 'errlap/home/my docs@autosnap_2026-01-01_00:00:00_hourly'])
  await snap(src, 'daily')
  drive = await makeBackupDrive('err1', 'bkerr')
  config = configFor(src, [{ name: 'Elements', drive }])
  configPath = join(tmp, 'config.json')
  writeFileSync(configPath, JSON.stringify(config))
  chmodSync(configPath, 0o644)
})

afterAll(async () => {
  for (const p of await importedPools()) if (p !== 'errlap') await sh(['zpool', 'export', '-f', p], { ok: false })
  await sh(['zpool', 'destroy', '-f', 'errlap'], { ok: false })
})

describe('first backup, and the no-op after it', () => {
  it('backs up a dataset whose name has a space', async () => {
    const spaced = configFor({ pool: 'errlap', dataset: 'errlap/home/my docs', mountpoint: '/srv/errlap-docs' }, [{ name: 'Elements', drive, target: 'bkerr/my docs' }], { afterBackup: { export: true, powerOff: false } })
    const r = await run(spaced)
    expect(r.error).toBeUndefined()
    expect(r.commands).toContainEqual(expect.arrayContaining(['zfs', 'send', 'errlap/home/my docs@autosnap_2026-01-01_00:00:00_hourly']))
    expect(r.commands).toContainEqual(expect.arrayContaining(['zfs', 'receive', '-s', '-u', 'bkerr/my docs']))
  })

  it('a second run with nothing new sends nothing and succeeds', async () => {
    expect((await run({ ...config, afterBackup: { export: true, powerOff: false } })).outcome).toBe('succeeded')
    const again = await run({ ...config, afterBackup: { export: true, powerOff: false } })
    expect(again.outcome).toBe('succeeded')
    expect(sends(again.commands)).toBe(false)
    expect(again.events).toContainEqual(expect.objectContaining({ type: 'info', message: expect.stringMatching(/up to date/) }))
  })
})

describe('the CLI', () => {
  it('--dry-run shows the transfer it would run and changes nothing', async () => {
    writeRandom(src, 'b.bin', 2)
    const newest = await snap(src)
    const before = (await sh(['zpool', 'import', '-d', '/dev/disk/by-id'])).stdout
    const r = await cli(['backup', '--dry-run', '--config', configPath, '--history', historyPath])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/\$ (setpriv --pdeathsig KILL -- )?zfs send -w -v -P -I errlap\/home@/)
    expect(r.stdout).toMatch(/\$ (setpriv --pdeathsig KILL -- )?zfs receive -s -u bkerr\/errlap/)
    expect(r.stdout).toContain('$ udisksctl power-off -b')
    expect(await importedPools()).not.toContain('bkerr')
    expect(existsSync(drive.usb.byId)).toBe(true)
    expect((await sh(['zpool', 'import', '-d', '/dev/disk/by-id'])).stdout).toBe(before)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    expect((await snapshotGuids('bkerr/errlap')).has(newest)).toBe(false)
    await sh(['zpool', 'export', 'bkerr'])
    expect(existsSync(historyPath)).toBe(false)
  })

  it('status says how many snapshots the drive lacks; snapshots shows which exist where', async () => {
    const status = await cli(['status', '--json', '--config', configPath, '--history', historyPath])
    const row = JSON.parse(status.stdout.trim())
    expect(row).toMatchObject({ drive: 'Elements', presence: 'connected' })
    const snaps = await cli(['snapshots', '--json', '--config', configPath, '--history', historyPath])
    const listing = JSON.parse(snaps.stdout.trim().split('\n')[0]!)
    const missing = listing.snapshots.filter((s: { laptop: boolean; drive: boolean }) => s.laptop && !s.drive)
    expect(missing).toHaveLength(1)
    expect(await importedPools()).not.toContain('bkerr')
  })

  it('--no-power-off leaves the drive on; history and status then show the backup', async () => {
    const r = await cli(['backup', '--no-power-off', '--config', configPath, '--history', historyPath])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(existsSync(drive.usb.byId)).toBe(true)
    const status = JSON.parse((await cli(['status', '--json', '--config', configPath, '--history', historyPath])).stdout.trim())
    expect(status.targets[0]).toMatchObject({ missingOnDrive: 0, from: 'history' })
    const history = await cli(['history', '--config', configPath, '--history', historyPath])
    expect(history.stdout).toMatch(/backup Elements: succeeded/)
  })

  it('diff lists added, removed, modified and renamed paths, spaces and newlines intact', async () => {
    const ds = 'errlap/home/my docs'
    writeFileSync('/srv/errlap-docs/new\nline.txt', 'x')
    await execa('mv', ['/srv/errlap-docs/sub dir/old name.txt', '/srv/errlap-docs/sub dir/new name.txt'])
    await sh(['zfs', 'snapshot', `${ds}@later`])
    const r = await cli(['diff', `${ds}@autosnap_2026-01-01_00:00:00_hourly`, `${ds}@later`, '--json', '--config', configPath])
    expect(r.exitCode, r.stderr).toBe(0)
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(entries).toContainEqual(expect.objectContaining({ change: '+', path: '/srv/errlap-docs/new\nline.txt' }))
    expect(entries).toContainEqual(expect.objectContaining({ change: 'R', path: '/srv/errlap-docs/sub dir/old name.txt', newPath: '/srv/errlap-docs/sub dir/new name.txt' }))
  })

  it('eject exports and powers off; then backup exits 3 because the drive is not there', async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    const r = await cli(['eject', '--config', configPath, '--history', historyPath])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(existsSync(drive.usb.byId)).toBe(false)
    await unplug(drive.usb)
    const b = await cli(['backup', '--config', configPath, '--history', historyPath])
    expect(b.exitCode).toBe(3)
    expect(b.stdout).toMatch(/not connected/)
    await replug(drive.usb)
  })

  it('refuses to run without root, saying how to get it', async () => {
    const r = await cli(['backup', '--config', configPath, '--history', join(tmp, 'nobody.jsonl')], { user: 65534 })
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/needs root/)
    expect(r.stdout).toMatch(/sudo or doas/)
  })
})

describe('errors users meet', () => {
  it('another imported pool with the drive\'s pool name: refuses, touching neither', async () => {
    const namesake = await makeBackupDrive('err2', 'bkerr')
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', namesake.guid])
    const r = await run(config)
    expect(r.error).toMatchObject({ code: 'pool-name-clash' })
    expect(r.error!.message).toContain(namesake.guid)
    const pools = (await sh(['zpool', 'list', '-H', '-o', 'name,guid'])).stdout
    expect(pools).toContain(namesake.guid)
    expect(pools).not.toContain(drive.guid)
    await sh(['zpool', 'export', 'bkerr'])
    await unplug(namesake.usb)
  })

  it('engine "syncoid": syncoid missing says what to install; pv missing warns and still backs up', async () => {
    const withSyncoid = { ...config, replication: { ...config.replication, engine: 'syncoid' as const } }
    const bin = mkdtempSync('/tmp/bin-')
    const oldPath = process.env.PATH
    try {
      for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', `${process.cwd()}/.zfsvm/bin`]) {
        if (!existsSync(dir)) continue
        for (const name of readdirSync(dir)) if (name !== 'pv' && name !== 'syncoid' && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name))
      }
      process.env.PATH = bin
      const r = await run(withSyncoid)
      expect(r.error).toMatchObject({ code: 'tool-missing', message: expect.stringMatching(/syncoid/) })
      expect(r.commands).toEqual([])  // not even an import
      symlinkSync('/usr/sbin/syncoid', join(bin, 'syncoid'))
      writeRandom(src, 'c.bin', 1)
      await snap(src)
      const nopv = await run({ ...withSyncoid, afterBackup: { export: true, powerOff: false } })
      expect(nopv.events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'pv-missing' }))
      expect(nopv.error).toBeUndefined()
      expect(nopv.outcome).toBe('succeeded')
    } finally {
      process.env.PATH = oldPath
    }
  })

  it('a target that is not encrypted is refused before anything is sent', async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    await sh(['zfs', 'create', 'bkerr/plain'])
    await sh(['zpool', 'export', 'bkerr'])
    const r = await run(configFor(src, [{ name: 'Elements', drive, target: 'bkerr/plain' }]))
    expect(r.error).toMatchObject({ code: 'target-unencrypted' })
    expect(sends(r.commands)).toBe(false)
    expect(await importedPools()).not.toContain('bkerr')
  })

  it('the drive\'s copy was modified (the guide\'s --no-rollback case): refuses, rolls nothing back', async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    await sh(['zfs', 'load-key', '-L', 'prompt', 'bkerr/errlap'], { input: PASSPHRASE })
    // Changing the mountpoint of an unlocked dataset mounts it right away.
    await sh(['zfs', 'set', 'readonly=off', 'mountpoint=/mnt/err1-copy', 'bkerr/errlap'])
    if ((await zfsGet('bkerr/errlap', 'mounted')) !== 'yes') await sh(['zfs', 'mount', 'bkerr/errlap'])
    writeFileSync('/mnt/err1-copy/written-on-the-drive.txt', 'oops')
    await sh(['zfs', 'unmount', 'bkerr/errlap'])
    await sh(['zfs', 'set', 'readonly=on', 'bkerr/errlap'])
    await sh(['zfs', 'unload-key', 'bkerr/errlap'])
    await sh(['zpool', 'export', 'bkerr'])
    writeRandom(src, 'd.bin', 1)
    await snap(src)
    const r = await run(config)
    expect(r.error, r.error?.message).toMatchObject({ code: 'target-modified' })
    expect(r.error!.hint).toMatch(/zfs rollback/)
    expect(r.commands.some((a) => a.includes('rollback') || a.includes('-F'))).toBe(false)
    expect(await importedPools()).not.toContain('bkerr')
    // Put the drive back in order for the next test, as the hint says.
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    const newestOnDrive = [...(await snapshotGuids('bkerr/errlap')).keys()].at(-1)
    await sh(['zfs', 'rollback', `bkerr/errlap@${newestOnDrive}`])
    await sh(['zpool', 'export', 'bkerr'])
    expect((await run({ ...config, afterBackup: { export: true, powerOff: false } })).outcome).toBe('succeeded')
  })

  it('no common snapshot (the laptop pruned every snapshot the drive has): says so and changes nothing', async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    const onDrive = await snapshotGuids('bkerr/errlap')
    await sh(['zpool', 'export', 'bkerr'])
    for (const name of (await snapshotGuids(src.dataset)).keys()) await sh(['zfs', 'destroy', `${src.dataset}@${name}`])
    // The drive's bookmark would keep the next backup incremental (native-recovery tests that): without it nothing is shared.
    const marks = (await sh(['zfs', 'list', '-H', '-o', 'name', '-t', 'bookmark', src.dataset])).stdout.split('\n').filter(Boolean)
    for (const m of marks) await sh(['zfs', 'destroy', m])
    await snap(src)
    const r = await run(config)
    expect(r.error).toMatchObject({ code: 'no-common-snapshot' })
    expect(sends(r.commands) || r.commands.some((a) => a[0] === 'zfs' && a[1] === 'destroy')).toBe(false)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    expect(await snapshotGuids('bkerr/errlap')).toEqual(onDrive)
    expect(await zfsGet('bkerr/errlap', 'keystatus')).toBe('unavailable')
    await sh(['zpool', 'export', 'bkerr'])
  })
})
