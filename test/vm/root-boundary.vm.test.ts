// The root boundary against real OpenZFS: the right pool always (the drive's pool imported under another
// name while another pool carries the configured name), restores that a tampered drive cannot turn against
// the machine (mountpoint=/etc…, setuid=on, a setuid-root file, a symlink planted at the destination),
// and root runs (sudo, doas) that find the invoking user's config and history.
import { execa } from 'execa'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, chmodSync, copyFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../main/config/schema'
import { backup } from '../../main/engine/backup'
import { eject } from '../../main/engine/eject'
import { restoreClose, restoreFile, restoreOpen } from '../../main/engine/restore'
import { ProcessRunner } from '../../main/system/runner'
import { importOnOwnDisk, replug, unplug, waitFor } from './guest/drives'
import { collect } from './guest/lifecycle-helpers'
import { configFor, importedPools, makeBackupDrive, makeSource, PASSPHRASE, snap, zfsGet, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'
import { unwrapDieWithParent } from '../../main/system/setpriv'

const tmp = mkdtempSync('/tmp/rootb-')
const lockPath = join(tmp, 'run.lock')
const runner = new ProcessRunner()
const signal = new AbortController().signal
const mounts = (): string[][] => readFileSync('/proc/self/mounts', 'utf8').trim().split('\n').map((l) => l.split(' '))
const USER = 'zdbuser'

let src: SourcePool
let mine: BackupDrive
let stranger: BackupDrive
let config: Config
let uid = 0

beforeAll(async () => {
  src = await makeSource('rbsrc', { sizeMb: 256 })
  writeFileSync(`${src.mountpoint}/notes.txt`, 'restore me\n')
  // A setuid-root program in the backup: a restore must never make it runnable as root.
  copyFileSync('/usr/bin/id', `${src.mountpoint}/suid-id`)
  chmodSync(`${src.mountpoint}/suid-id`, 0o4755)
  await snap(src, 'daily')
  // Two drives whose pools are both called rbk: ours (configured by GUID) and a stranger's.
  mine = await makeBackupDrive('rbmine', 'rbk', { sizeMb: 256 })
  stranger = await makeBackupDrive('rbother', 'rbk', { sizeMb: 256 })
  config = configFor(src, [{ name: 'Mine', drive: mine }], { afterBackup: { export: true, powerOff: false } })
  await sh(['useradd', '--create-home', '--shell', '/bin/sh', USER], { ok: false })
  uid = Number((await sh(['id', '-u', USER])).stdout.trim())
})

afterAll(async () => {
  for (const p of await importedPools()) if (p !== src.pool) await sh(['zpool', 'export', '-f', p], { ok: false })
  await unplug(mine.usb).catch(() => undefined)
  await unplug(stranger.usb).catch(() => undefined)
})

describe('the drive\'s pool imported as rbk2 while a stranger\'s pool called rbk is imported', () => {
  beforeAll(async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', mine.guid, 'rbk2'])
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', stranger.guid])
  })

  it('backup refuses before sending anything to the stranger\'s pool, and leaves both imported', async () => {
    const r = await collect((emit) => backup({ config, runner, emit, signal, lockPath }))
    expect(r.outcome).toBe('failed')
    expect(r.error).toMatchObject({ code: 'pool-name-clash', message: expect.stringMatching(/Another pool named rbk .*imported as rbk2/) })
    expect(r.commands.some((c) => unwrapDieWithParent(c)[0] === 'syncoid' && !c.includes('--version'))).toBe(false)
    expect(r.commands.some((c) => (c[0] === 'zpool' && c[1] === 'export') || c[0] === 'udisksctl')).toBe(false)
    expect((await sh(['zfs', 'list', '-H', '-o', 'name', 'rbk/rbsrc'], { ok: false })).exitCode).not.toBe(0)
    expect(await importedPools()).toEqual(expect.arrayContaining(['rbk', 'rbk2']))
  })

  it('eject exports and powers off only the drive\'s pool and disk', async () => {
    const r = await collect((emit) => eject({ config, runner, emit, signal, lockPath }))
    expect(r.error).toBeUndefined()
    expect(r.commands).toContainEqual(['zpool', 'export', 'rbk2'])
    expect(r.commands).toContainEqual(['udisksctl', 'power-off', '-b', mine.usb.byId])
    expect(await importedPools()).toContain('rbk')
    expect(await importedPools()).not.toContain('rbk2')
    expect(existsSync(mine.usb.byId)).toBe(false)
    expect(existsSync(stranger.usb.byId)).toBe(true)
  })

  it('a drive whose pool was renamed (zpool import <guid> rbk2 writes the name to the disk) is imported, refused and exported again', async () => {
    await sh(['zpool', 'export', 'rbk'])
    await unplug(stranger.usb)
    await replug(mine.usb)
    const r = await collect((emit) => backup({ config, runner, emit, signal, lockPath }))
    expect(r.error).toMatchObject({ code: 'pool-name-mismatch', message: expect.stringMatching(/imported as rbk2/) })
    expect(await importedPools()).not.toContain('rbk2')
    expect(r.commands.some((c) => unwrapDieWithParent(c)[0] === 'syncoid' && !c.includes('--version'))).toBe(false)
  })

  afterAll(async () => {
    // Give the drive its configured name back for the restore tests.
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', mine.guid, 'rbk'])
    await sh(['zpool', 'export', 'rbk'])
  })
})

describe('a restore from a tampered drive', () => {
  let altroot = ''
  let snapshotDir = ''
  beforeAll(async () => {
    const r = await collect((emit) => backup({ config, runner, emit, signal, lockPath }))
    expect(r.error).toBeUndefined()
    // What a tampered drive could say: mount me over /etc, with setuid programs and device nodes allowed.
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', mine.guid])
    await sh(['zfs', 'set', 'mountpoint=/etc/zdb-tampered', 'setuid=on', 'devices=on', 'exec=on', 'rbk/rbsrc'])
    await sh(['zpool', 'export', 'rbk'])
    altroot = `/run/zfs-drive-backup-restore/${mine.guid}`
  })

  it('opens read-only under the root-owned altroot, mounted ro,nosuid,nodev,noexec', async () => {
    const r = await collect((emit) => restoreOpen({ config, runner, emit, signal, lockPath, passphrase: PASSPHRASE }))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect(importOnOwnDisk(r.commands, mine.usb.byId, mine.guid)).toEqual(['-N', '-o', 'readonly=on', '-R', altroot])
    expect(await zfsGet('rbk', 'readonly')).toBe('on')
    expect(statSync('/run/zfs-drive-backup-restore')).toMatchObject({ uid: 0 })
    const m = mounts().find((x) => x[0] === 'rbk/rbsrc')
    expect(m?.[1]).toBe(`${altroot}/etc/zdb-tampered`)
    expect(m?.[3]?.split(',')).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']))
    expect(mounts().some((x) => x[1] === '/etc/zdb-tampered')).toBe(false)
    snapshotDir = `${altroot}/etc/zdb-tampered/.zfs/snapshot`
  })

  it('a setuid-root program in a snapshot: other users cannot reach it, and the snapshot automount is nosuid', async () => {
    const [name] = (await sh(['ls', snapshotDir])).stdout.trim().split('\n')
    const program = `${snapshotDir}/${name}/suid-id`
    expect(statSync(program).mode & 0o4000).toBe(0o4000)
    expect(statSync(altroot).mode & 0o777).toBe(0o750)
    const r = await sh(['runuser', '-u', USER, '--', program, '-u'], { ok: false })
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr).toMatch(/Permission denied/)
    // OpenZFS mounts .zfs/snapshot/<name> itself, ignoring the dataset mount's options.
    expect(readFileSync('/sys/module/zfs/parameters/zfs_snapshot_no_setuid', 'utf8').trim()).toBe('1')
    const snapMount = mounts().find((x) => x[0] === `rbk/rbsrc@${name}`)
    expect(snapMount?.[3]?.split(',')).toContain('nosuid')
  })

  it('restore file replaces a symlink planted at the destination, and the user owns what lands there', async () => {
    const [name] = (await sh(['ls', snapshotDir])).stdout.trim().split('\n')
    const dest = `/home/${USER}/restored`
    mkdirSync(dest, { recursive: true })
    await sh(['chown', `${USER}:${USER}`, dest])
    writeFileSync('/etc/zdb-victim', 'root only\n', { mode: 0o600 })
    symlinkSync('/etc/zdb-victim', `${dest}/notes.txt`)
    const r = await restoreFile({ runner, drive: config.drives[0]!, snapshot: name!, path: 'notes.txt', toDir: dest, force: true })
    expect(r.to).toBe(`${dest}/notes.txt`)
    expect(readFileSync('/etc/zdb-victim', 'utf8')).toBe('root only\n')
    expect(lstatSync(`${dest}/notes.txt`).isFile()).toBe(true)
    expect(readFileSync(`${dest}/notes.txt`, 'utf8')).toBe('restore me\n')
    expect(statSync(`${dest}/notes.txt`).uid).toBe(uid)
    await restoreFile({ runner, drive: config.drives[0]!, snapshot: name!, path: 'suid-id', toDir: dest })
    expect(statSync(`${dest}/suid-id`)).toMatchObject({ uid })
    expect(statSync(`${dest}/suid-id`).mode & 0o4000).toBe(0)
  })

  afterAll(async () => {
    const r = await collect((emit) => restoreClose({ config, runner, emit, signal, lockPath }))
    expect(r.error).toBeUndefined()
    await waitFor('the restore to be unmounted', () => !mounts().some((x) => x[0] === 'rbk/rbsrc'))
  })
})

describe('root runs for a user (sudo, doas) use that user\'s config and history', () => {
  const home = `/home/${USER}`
  const userConfig = `${home}/.config/zfs-drive-backup/config.json`
  const userHistory = `${home}/.local/state/zfs-drive-backup/history.jsonl`
  // What sudo -E and doas keepenv pass through: the user's own environment, which root must not follow.
  const keptEnv = { HOME: home, XDG_CONFIG_HOME: '/tmp/zdb-evil-config', XDG_STATE_HOME: '/tmp/zdb-evil-state', PATH: process.env.PATH ?? '' }
  const cli = (args: string[], env: Record<string, string>) => execa('node', ['out/main/cli.js', ...args], { reject: false, env: { ...env, XDG_RUNTIME_DIR: tmp }, extendEnv: false })

  beforeAll(async () => {
    mkdirSync(`${home}/.config/zfs-drive-backup`, { recursive: true })
    writeFileSync(userConfig, JSON.stringify(config), { mode: 0o600 })
    await sh(['chown', '-R', `${USER}:${USER}`, `${home}/.config`])
  })

  it('sudo (SUDO_UID, HOME=/root): status reads the config the tray app wrote for the user', async () => {
    const r = await cli(['status'], { SUDO_UID: String(uid), SUDO_USER: USER, HOME: '/root', PATH: process.env.PATH ?? '' })
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^Mine \(pool rbk\)/)
  })

  it('doas with keepenv (DOAS_USER, the user\'s XDG variables): eject is recorded in the user\'s history, owned by them', async () => {
    const r = await cli(['eject', '--json'], { ...keptEnv, DOAS_USER: USER })
    expect(r.exitCode).toBe(0)
    expect(statSync(userHistory)).toMatchObject({ uid })
    expect(readFileSync(userHistory, 'utf8')).toMatch(/"verb":"eject"/)
    expect(existsSync('/tmp/zdb-evil-state')).toBe(false)
  })

  it('a history.jsonl symlinked to a root-only file is refused in one sentence; the file is untouched', async () => {
    writeFileSync('/root/zdb-history-victim', 'root only\n', { mode: 0o600 })
    await sh(['rm', '-f', userHistory])
    symlinkSync('/root/zdb-history-victim', userHistory)
    const r = await cli(['eject'], { SUDO_UID: String(uid), HOME: '/root', PATH: process.env.PATH ?? '' })
    expect(r.exitCode).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/symbolic link/)
    expect(readFileSync('/root/zdb-history-victim', 'utf8')).toBe('root only\n')
  })

  it('a config that another user can write is refused, with the fix', async () => {
    await sh(['chmod', '0666', userConfig])
    const r = await cli(['status', '--json'], { SUDO_UID: String(uid), HOME: '/root', PATH: process.env.PATH ?? '' })
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'error', code: 'config-refused', hint: expect.stringMatching(/chmod go-w/) })
    await sh(['chmod', '0600', userConfig])
  })
})
