// Drive lifecycle against real OpenZFS, udev and hot-plugged USB disks: setup (and its refusals), an
// interrupted setup that continues, adopt of a drive made with the guide's own commands, scrub of a
// corrupted drive, restore open/list/file/close, verify-key, and a backup after a restore session.
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../main/config/load'
import type { Config } from '../../main/config/schema'
import { configSchema } from '../../main/config/schema'
import { adopt } from '../../main/engine/adopt'
import { backup } from '../../main/engine/backup'
import { listDiskCandidates } from '../../main/engine/disks'
import { restoreClose, restoreFile, restoreList, restoreOpen } from '../../main/engine/restore'
import { lastScrub, scrub } from '../../main/engine/scrub'
import { setup } from '../../main/engine/setup'
import { verifyKey } from '../../main/engine/verify-key'
import { applyEvent, type RunRecord } from '../../shared/run-record'
import { ProcessRunner } from '../../main/system/runner'
import { importOnOwnDisk, newDrive, plug, unplug, type UsbDrive } from './guest/drives'
import { saveArtifact } from './guest/env'
import { corrupt } from './guest/corrupt'
import { collect, guardedRunner, type Ran } from './guest/lifecycle-helpers'
import { importedPools, makeBackupDrive, makeSource, PASSPHRASE, snap, snapshotGuids, writeRandom, zfsGet, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const tmp = mkdtempSync('/tmp/life-')
const lockPath = join(tmp, 'run.lock')
const configPath = join(tmp, 'config.json')
const signal = new AbortController().signal
const runner = new ProcessRunner()
const timings: Record<string, number> = {}

let src: SourcePool
const config = async (): Promise<Config> => (await loadConfig(configPath)).config
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex')
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now()
  try {
    return await fn()
  } finally {
    timings[label] = (Date.now() - t) / 1000
  }
}
const mounts = (): string => readFileSync('/proc/self/mounts', 'utf8')

function setupRun(o: { disk: string; name: string; confirm?: string; pool?: string; reformat?: boolean; guarded?: boolean; signal?: AbortSignal; onEvent?: Parameters<typeof collect>[1] }, cfg: Config): Promise<Ran> {
  const r = o.guarded ? guardedRunner() : runner
  return collect((emit) => setup({ config: cfg, configPath, disk: o.disk, name: o.name, confirm: o.confirm, pool: o.pool ?? 'lifebk', reformat: o.reformat ?? false, runner: r, emit, signal: o.signal ?? signal, lockPath }), o.onEvent)
}

beforeAll(async () => {
  src = await makeSource('lifesrc')
  writeRandom(src, 'photos.bin', 24)
  writeFileSync(`${src.mountpoint}/notes.txt`, 'restore me\n')
  chmodSync(`${src.mountpoint}/notes.txt`, 0o640)
  await sh(['chown', '1234:2345', `${src.mountpoint}/notes.txt`])
  utimesSync(`${src.mountpoint}/notes.txt`, new Date('2020-02-02T02:02:02Z'), new Date('2020-02-02T02:02:02Z'))
  await snap(src, 'daily')
  writeRandom(src, 'more.bin', 4)
  await snap(src)
  writeFileSync(configPath, JSON.stringify(configSchema.parse({ version: 1, sources: [{ dataset: src.dataset }] })))
})

afterAll(async () => {
  saveArtifact('lifecycle/timings.json', JSON.stringify(timings, null, 1))
  for (const p of await importedPools()) if (p !== src.pool) await sh(['zpool', 'export', '-f', p], { ok: false })
})

describe('disks and the refusals of setup', () => {
  let mounted: UsbDrive
  let member: Awaited<ReturnType<typeof makeBackupDrive>>
  let fresh: UsbDrive
  const rootLink = '/dev/disk/by-id/virtio-ZDBROOTTEST'

  beforeAll(async () => {
    mounted = newDrive('life0', 256 * 1024 ** 2)
    await plug(mounted)
    await sh(['mkfs.ext4', '-q', '-F', mounted.byId])
    await sh(['mkdir', '-p', '/mnt/life0'])
    await sh(['mount', mounted.byId, '/mnt/life0'])
    member = await makeBackupDrive('life2', 'lifeimp', { sizeMb: 256 })
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', member.guid])
    fresh = newDrive('life9', 256 * 1024 ** 2)
    await plug(fresh)
    // The guest's root disk has no by-id link (virtio without a serial): give it one, as a real disk has.
    const root = (await sh(['findmnt', '-n', '-o', 'SOURCE', '/'])).stdout.trim()
    const parent = (await sh(['lsblk', '-n', '-d', '-o', 'PKNAME', root])).stdout.trim()
    symlinkSync(parent ? `/dev/${parent}` : root, rootLink)
  })

  afterAll(async () => {
    unlinkSync(rootLink)
    await sh(['umount', '/mnt/life0'], { ok: false })
    await sh(['zpool', 'export', 'lifeimp'], { ok: false })
    for (const d of [mounted, member.usb, fresh]) await unplug(d)
  })

  it('`disks` marks the system disk, a mounted disk and an imported pool member ineligible, with the reason', async () => {
    const list = await listDiskCandidates(runner, [])
    saveArtifact('lifecycle/disks.json', JSON.stringify(list, null, 1))
    const by = (link: string) => list.find((d) => d.byId === link)
    expect(by(rootLink)).toMatchObject({ eligible: false, reason: expect.stringMatching(/^holds the running system/) })
    expect(by('/dev/disk/by-id/virtio-PROJECT')).toMatchObject({ eligible: false, reason: expect.stringMatching(/mounted filesystem .* \/opt\/proj/) })
    expect(by(mounted.byId)).toMatchObject({ eligible: false, reason: expect.stringMatching(/mounted filesystem .* \/mnt\/life0/), transport: 'usb' })
    expect(by(member.usb.byId)).toMatchObject({ eligible: false, reason: expect.stringMatching(/member of the imported pool lifeimp/) })
    expect(by(fresh.byId)).toMatchObject({ eligible: true, transport: 'usb', serial: fresh.serial })
    expect(list[0]!.transport).toBe('usb')
    // The CLI prints the same, machine-readably.
    const cli = await execa('node', ['out/main/cli.js', 'disks', '--json', '--config', configPath], { reject: false })
    expect(cli.exitCode).toBe(0)
    expect(cli.stdout.split('\n').map((l) => JSON.parse(l)).find((d) => d.byId === fresh.byId)).toMatchObject({ eligible: true })
  })

  const refusals: [string, () => { disk: string; confirm: string }, RegExp][] = [
    ['the system disk', () => ({ disk: rootLink, confirm: 'virtio-ZDBROOTTEST' }), /cannot be used: it holds the running system/],
    ['a disk with a mounted filesystem', () => ({ disk: mounted.byId, confirm: mounted.byId.split('/').at(-1)! }), /cannot be used: it has a mounted filesystem/],
    ['a member of an imported pool', () => ({ disk: member.usb.byId, confirm: member.usb.byId.split('/').at(-1)! }), /member of the imported pool lifeimp/],
    ['a wrong confirmation', () => ({ disk: fresh.byId, confirm: 'yes' }), /confirmation "yes" does not match/],
    ['a missing confirmation', () => ({ disk: fresh.byId, confirm: undefined as unknown as string }), /confirmation is missing/],
    ['a /dev/sdX path', () => ({ disk: '/dev/sda', confirm: 'sda' }), /must start with \/dev\/disk\/by-id\//],
    ['a partition', () => ({ disk: `${member.usb.byId}-part1`, confirm: `${member.usb.byId.split('/').at(-1)!}-part1` }), /is a partition/],
  ]
  for (const [what, args, message] of refusals) {
    it(`setup refuses ${what} before running anything destructive`, async () => {
      const before = readFileSync(configPath, 'utf8')
      const r = await setupRun({ ...args(), name: 'nope', guarded: true }, await config())
      expect(r.outcome).toBe('failed')
      expect(r.error?.message).toMatch(message)
      expect(r.commands.filter((a) => ['blkdiscard', 'wipefs', 'parted', 'partprobe'].includes(a[0]!) || (a[0] === 'zpool' && ['create', 'labelclear'].includes(a[1]!)))).toEqual([])
      expect(readFileSync(configPath, 'utf8')).toBe(before)
    })
  }

  it('the CLI refuses without --confirm and tells what to type (exit 2)', async () => {
    const cli = await execa('node', ['out/main/cli.js', 'setup', '--disk', fresh.byId, '--name', 'x', '--config', configPath], { reject: false })
    expect(cli.exitCode).toBe(2)
    expect(cli.stderr).toContain(`--confirm ${fresh.byId.split('/').at(-1)}`)
  })
})

describe('setup on a fresh USB disk', () => {
  let disk: UsbDrive
  let r: Ran

  it('runs the guide: wipe (discard unsupported: non-fatal), parted, the exact zpool create, first raw copy, properties, export', async () => {
    disk = newDrive('life3')
    await plug(disk)
    const name = disk.byId.split('/').at(-1)!
    r = await timed('setup fresh 1 GiB, 28 MiB source', async () => setupRun({ disk: disk.byId, name: 'L3', confirm: name }, await config()))
    saveArtifact('lifecycle/setup-events.json', JSON.stringify(r.events, null, 1))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect(r.commands).toContainEqual(['blkdiscard', '-f', disk.byId])
    expect(r.commands).toContainEqual(['wipefs', '-a', disk.byId])
    expect(r.commands).toContainEqual(['parted', '--script', '--align=optimal', disk.byId, '--', 'mklabel', 'gpt', 'mkpart', 'lifebk', '0%', '100%'])
    expect(r.commands).toContainEqual(['partprobe', disk.byId])
    expect(r.commands).toContainEqual(['zpool', 'create', '-o', 'ashift=12', '-o', 'autotrim=on', '-o', 'failmode=continue', '-O', 'acltype=posixacl', '-O', 'compression=zstd', '-O', 'dnodesize=auto',
      '-O', 'normalization=formD', '-O', 'relatime=on', '-O', 'xattr=sa', '-O', 'readonly=on', '-O', 'canmount=on', '-O', 'mountpoint=/mnt/lifebk_pool', 'lifebk', `${disk.byId}-part1`])
    expect(r.commands.some((a) => a.includes('zfs') && a.includes('send') && a.includes('-w'))).toBe(true)
    expect(r.commands).toContainEqual(['zfs', 'set', 'readonly=on', 'snapdir=visible', 'mountpoint=/mnt/lifebk_pool/home', 'canmount=on', 'lifebk/home'])
    expect(r.commands.at(-1)).toEqual(['zpool', 'export', 'lifebk'])
    expect(r.events.filter((e) => e.type === 'progress').length).toBeGreaterThan(0)
    expect(r.events.some((e) => e.type === 'replicated')).toBe(true)
    expect(await importedPools()).not.toContain('lifebk')
  })

  it('recorded the drive with its pool GUID in the config', async () => {
    const c = await config()
    const d = c.drives.find((x) => x.name === 'L3')!
    expect(d).toMatchObject({ pool: 'lifebk', disk: disk.byId, targets: { [src.dataset]: 'lifebk/home' } })
    const listing = (await sh(['zpool', 'import', '-d', '/dev/disk/by-id'])).stdout
    expect(listing).toContain(`id: ${d.poolGuid}`)
  })

  it('the pool has every property of the guide, and the target is an encrypted replica', async () => {
    const guid = (await config()).drives.find((x) => x.name === 'L3')!.poolGuid
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', guid])
    try {
      const pool = async (p: string) => (await sh(['zpool', 'get', '-H', '-o', 'value', p, 'lifebk'])).stdout.trim()
      expect(await pool('ashift')).toBe('12')
      expect(await pool('autotrim')).toBe('on')
      expect(await pool('failmode')).toBe('continue')
      // OpenZFS 2.3 prints acltype=posixacl as posix and xattr=sa as on (since 2.2 `on` means sa); the source says local.
      const want: Record<string, string> = { acltype: 'posix', compression: 'zstd', dnodesize: 'auto', normalization: 'formD', relatime: 'on', xattr: 'on', readonly: 'on', canmount: 'on', mountpoint: '/mnt/lifebk_pool' }
      for (const [k, v] of Object.entries(want)) expect([k, await zfsGet('lifebk', k)]).toEqual([k, v])
      expect((await sh(['zfs', 'get', '-H', '-o', 'source', 'xattr,acltype', 'lifebk'])).stdout.trim().split('\n')).toEqual(['local', 'local'])
      const t: Record<string, string> = { encryption: 'aes-256-gcm', keystatus: 'unavailable', keylocation: 'prompt', encryptionroot: 'lifebk/home', readonly: 'on', snapdir: 'visible', mountpoint: '/mnt/lifebk_pool/home', canmount: 'on' }
      for (const [k, v] of Object.entries(t)) expect([k, await zfsGet('lifebk/home', k)]).toEqual([k, v])
      expect([...(await snapshotGuids('lifebk/home'))]).toEqual([...(await snapshotGuids(src.dataset))])
    } finally {
      await sh(['zpool', 'export', 'lifebk'])
    }
  })
})

describe('an interrupted setup continues', () => {
  let disk: UsbDrive
  it('cancelled during the first copy: the pool exists, is recorded and exported', async () => {
    writeRandom(src, 'big.bin', 96)
    await snap(src)
    disk = newDrive('life4')
    await plug(disk)
    const controller = new AbortController()
    const r = await setupRun({ disk: disk.byId, name: 'L4', confirm: disk.byId.split('/').at(-1)!, pool: 'lifebk4', signal: controller.signal, onEvent: (e) => e.type === 'progress' && e.bytes > 2 * 1024 * 1024 && controller.abort() }, await config())
    expect(r.outcome).toBe('cancelled')
    expect((await config()).drives.find((d) => d.name === 'L4')).toBeDefined()
    expect(await importedPools()).not.toContain('lifebk4')
  })

  it('a second setup of the same disk continues without formatting, and completes', async () => {
    const r = await timed('setup resumed', async () => setupRun({ disk: disk.byId, name: 'L4', confirm: disk.byId.split('/').at(-1)!, pool: 'lifebk4' }, await config()))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect(r.notes.preflight).toMatch(/continuing the interrupted setup of "L4"/)
    expect(r.commands.filter((a) => ['blkdiscard', 'wipefs', 'parted'].includes(a[0]!) || (a[0] === 'zpool' && a[1] === 'create'))).toEqual([])
    expect(r.events.some((e) => e.type === 'replicated')).toBe(true)
  })

  it('refuses to format it as another drive without --reformat', async () => {
    const r = await setupRun({ disk: disk.byId, name: 'Other', confirm: disk.byId.split('/').at(-1)!, pool: 'lifebk4', guarded: true }, await config())
    expect(r.outcome).toBe('failed')
    expect(r.error?.message).toMatch(/holds pool lifebk4 of the configured drive "L4"/)
    expect(r.error?.hint).toMatch(/--reformat/)
  })
})

describe('scrub', () => {
  it('after corrupting bytes in the middle of the drive: checksum errors, the count, and where the file list is', async () => {
    const c = await config()
    const d = c.drives.find((x) => x.name === 'L4')!
    const usb = { id: 'life4', serial: 'ZDBLIFE4', byId: d.disk, imagePath: join(process.env.ZFSVM_GUEST_SHARE ?? '/mnt/host', 'drives', 'life4.img') }
    await unplug(usb)
    expect(corrupt(usb.imagePath, 20)).toBeGreaterThan(10)
    await plug(usb)
    const progress: number[] = []
    let record: RunRecord | null = null
    const r = await timed('scrub --wait (~130 MiB allocated)', () => collect((emit) => scrub({ config: c, driveName: 'L4', wait: true, runner, emit, signal, lockPath }), (e) => {
      record = applyEvent(record, e)
      if (e.type === 'progress') progress.push(Date.now())
    }))
    saveArtifact('lifecycle/scrub-events.json', JSON.stringify(r.events, null, 1))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect(r.commands).toContainEqual(['zpool', 'scrub', 'lifebk4'])
    expect(progress.length).toBeGreaterThan(0)
    const gaps = progress.slice(1).map((t, i) => t - progress[i]!)
    expect(gaps.every((g) => g >= 900)).toBe(true)
    expect(r.notes.result).toMatch(/^scrub repaired \d+ bytes with [1-9]\d* errors; [1-9]\d* data errors; READ 0 WRITE 0 CKSUM [1-9]/)
    expect(r.infos.join('\n')).toMatch(/CKSUM [1-9]/)
    expect(r.infos.join('\n')).toMatch(/restore open/)
    expect(r.events.some((e) => e.type === 'warning' && e.code === 'scrub-found-errors')).toBe(true)
    expect(await importedPools()).not.toContain('lifebk4')
    expect(lastScrub([record!], 'L4')).toMatchObject({ errors: expect.any(Number) })
    expect(lastScrub([record!], 'L4')!.errors).toBeGreaterThan(0)
  })

  it('restore open on the damaged drive lists the affected files (the key is loaded then)', async () => {
    const c = await config()
    const r = await collect((emit) => restoreOpen({ config: c, driveName: 'L4', passphrase: PASSPHRASE, runner, emit, signal, lockPath }))
    expect(r.outcome).toBe('succeeded')
    // Mounted under the restore's altroot, a damaged file is named by its full path; otherwise as dataset:path.
    expect(r.infos.join('\n')).toMatch(/damaged: (lifebk4\/home(@\S+)?:\/|\/run\/zfs-drive-backup-restore\/\d+\/\S+\.bin$)/m)
    const close = await collect(async (emit) => restoreClose({ config: await config(), driveName: 'L4', runner, emit, signal, lockPath }))
    expect(close.outcome).toBe('succeeded')
  })
})

describe('restore', () => {
  let c: Config
  beforeAll(async () => {
    c = await config()
  })

  it('a wrong passphrase: a clear error, nothing left mounted, loaded or imported', async () => {
    const r = await collect((emit) => restoreOpen({ config: c, driveName: 'L3', passphrase: 'not the passphrase', runner, emit, signal, lockPath }))
    expect(r.outcome).toBe('failed')
    expect(r.error?.message).toBe('Wrong passphrase for lifebk/home.')
    expect(await importedPools()).not.toContain('lifebk')
    expect(mounts()).not.toMatch(/lifebk/)
  })

  it('open: imports with -N, loads the key from stdin, mounts only the target and says where the snapshots are', async () => {
    const r = await timed('restore open', () => collect((emit) => restoreOpen({ config: c, driveName: 'L3', passphrase: async () => PASSPHRASE, runner, emit, signal, lockPath })))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    const { poolGuid: guid, disk } = c.drives.find((d) => d.name === 'L3')!
    expect(importOnOwnDisk(r.commands, disk, guid)).toEqual(['-N', '-o', 'readonly=on', '-R', `/run/zfs-drive-backup-restore/${guid}`])
    expect(r.commands).toContainEqual(['zfs', 'load-key', '-L', 'prompt', 'lifebk/home'])
    expect(JSON.stringify(r.events)).not.toContain(PASSPHRASE)
    expect(r.infos).toContain(`lifebk/home: snapshots are in /run/zfs-drive-backup-restore/${guid}/mnt/lifebk_pool/home/.zfs/snapshot`)
    expect(await zfsGet('lifebk', 'mounted')).toBe('no')
    expect(await zfsGet('lifebk/home', 'mounted')).toBe('yes')
  })

  it('list shows the snapshots with dates; file copies one back byte-identical, with mode, owner and times', async () => {
    const drive = c.drives.find((d) => d.name === 'L3')!
    const rows = await restoreList(runner, drive)
    const first = [...(await snapshotGuids(src.dataset)).keys()][0]!
    expect(rows.map((x) => x.snapshot)).toContain(first)
    expect(rows[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    const out = mkdtempSync('/tmp/restored-')
    const r = await restoreFile({ runner, drive, snapshot: first, path: 'photos.bin', toDir: out })
    expect(r.to).toBe(join(out, 'photos.bin'))
    expect(sha(r.to)).toBe(sha(`${src.mountpoint}/.zfs/snapshot/${first}/photos.bin`))
    const notes = await restoreFile({ runner, drive, snapshot: `lifebk/home@${first}`, path: '/notes.txt', toDir: out })
    const [a, b] = [statSync(notes.to), statSync(`${src.mountpoint}/.zfs/snapshot/${first}/notes.txt`)]
    expect([a.mode, a.uid, a.gid, a.mtimeMs]).toEqual([b.mode, b.uid, b.gid, b.mtimeMs])
    expect([a.mode & 0o777, a.uid, a.gid]).toEqual([0o640, 1234, 2345])
    await expect(restoreFile({ runner, drive, snapshot: first, path: 'photos.bin', toDir: out })).rejects.toThrow(/already exists; nothing was copied/)
    writeFileSync(r.to, 'changed')
    await restoreFile({ runner, drive, snapshot: first, path: 'photos.bin', toDir: out, force: true })
    expect(sha(r.to)).toBe(sha(`${src.mountpoint}/.zfs/snapshot/${first}/photos.bin`))
    await expect(restoreFile({ runner, drive, snapshot: first, path: '../../../../etc/shadow', toDir: out })).rejects.toThrow(/outside the snapshot/)
    await expect(restoreFile({ runner, drive, snapshot: 'nope', path: 'photos.bin', toDir: out })).rejects.toThrow(/does not exist/)
    rmSync(out, { recursive: true })
  })

  it('close: unmounts, unloads the key, exports', async () => {
    const r = await collect((emit) => restoreClose({ config: c, driveName: 'L3', runner, emit, signal, lockPath }))
    expect(r.error).toBeUndefined()
    expect(r.commands).toContainEqual(['zfs', 'unmount', 'lifebk/home'])
    expect(r.commands).toContainEqual(['zfs', 'unload-key', 'lifebk/home'])
    expect(r.commands).toContainEqual(['zpool', 'export', 'lifebk'])
    expect(await importedPools()).not.toContain('lifebk')
  })

  it('the next incremental backup after a restore session works (no re-send needed)', async () => {
    writeRandom(src, 'after-restore.bin', 3)
    const newest = await snap(src)
    const r = await timed('backup after restore', () => collect((emit) => backup({ config: { ...c, afterBackup: { export: true, powerOff: false } }, driveName: 'L3', runner, emit, signal, lockPath })))
    saveArtifact('lifecycle/backup-after-restore.json', JSON.stringify(r.events, null, 1))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', c.drives.find((d) => d.name === 'L3')!.poolGuid])
    expect((await snapshotGuids('lifebk/home')).get(newest)).toBe((await snapshotGuids(src.dataset)).get(newest))
    await sh(['zpool', 'export', 'lifebk'])
  })
})

describe('verify-key', () => {
  it('accepts the right passphrase without loading the key, on a read-only import', async () => {
    const c = await config()
    const r = await timed('verify-key', () => collect((emit) => verifyKey({ config: c, driveName: 'L3', passphrase: PASSPHRASE, runner, emit, signal, lockPath })))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect(r.commands).toContainEqual(['zfs', 'load-key', '-n', '-L', 'prompt', 'lifebk/home'])
    expect(r.commands.some((a) => a[1] === 'import' && a.includes('readonly=on'))).toBe(true)
    expect(await importedPools()).not.toContain('lifebk')
  })

  it('refuses a wrong one; the CLI reads it from stdin and exits 1, 0 with the right one', async () => {
    const c = await config()
    const r = await collect((emit) => verifyKey({ config: c, driveName: 'L3', passphrase: 'wrong', runner, emit, signal, lockPath }))
    expect(r.outcome).toBe('failed')
    expect(r.error?.message).toBe('That is not the passphrase of lifebk/home.')
    expect(await importedPools()).not.toContain('lifebk')
    const hist = join(tmp, 'history.jsonl')
    const args = ['out/main/cli.js', 'verify-key', '--drive', 'L3', '--config', configPath, '--history', hist]
    const env = { XDG_RUNTIME_DIR: tmp }
    expect((await execa('node', args, { input: 'wrong\n', reject: false, env })).exitCode).toBe(1)
    const ok = await execa('node', args, { input: `${PASSPHRASE}\n`, reject: false, env })
    expect(ok.exitCode).toBe(0)
    expect(readFileSync(hist, 'utf8')).not.toContain(PASSPHRASE)
  })
})

describe('adopt', () => {
  it('accepts a drive prepared with the guide\'s own commands', async () => {
    const d = await makeBackupDrive('life5', 'lifead', { sizeMb: 512 })
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', d.guid])
    await sh(['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', src.dataset, 'lifead/eds'])
    await sh(['zfs', 'set', 'readonly=on', 'lifead/eds'])
    await sh(['zfs', 'set', 'snapdir=visible', 'mountpoint=/mnt/lifead/eds', 'canmount=on', 'lifead/eds'])
    await sh(['zpool', 'export', 'lifead'])
    const r = await collect(async (emit) => adopt({ config: await config(), configPath, pool: 'lifead', target: 'lifead/eds', name: 'L5', runner, emit, signal, lockPath }))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect((await config()).drives.find((x) => x.name === 'L5')).toEqual({ name: 'L5', pool: 'lifead', poolGuid: d.guid, disk: d.usb.byId, targets: { [src.dataset]: 'lifead/eds' } })
    expect(await importedPools()).not.toContain('lifead')
    if (existsSync(d.usb.byId)) await unplug(d.usb)
  })

  it('refuses an unencrypted copy, saying why, and records nothing', async () => {
    const d = await makeBackupDrive('life6', 'lifeun', { sizeMb: 512 })
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', d.guid])
    await sh(['syncoid', '--compress=none', '--no-sync-snap', '--no-rollback', '--recvoptions=-u', src.dataset, 'lifeun/eds'])
    expect(await zfsGet('lifeun/eds', 'encryption')).toBe('off')
    await sh(['zpool', 'export', 'lifeun'])
    const before = readFileSync(configPath, 'utf8')
    const r = await collect(async (emit) => adopt({ config: await config(), configPath, pool: 'lifeun', target: 'lifeun/eds', runner, emit, signal, lockPath }))
    expect(r.outcome).toBe('failed')
    expect(r.error).toMatchObject({ code: 'target-unencrypted', message: expect.stringMatching(/not encrypted: it was not sent raw/) })
    expect(readFileSync(configPath, 'utf8')).toBe(before)
    expect(await importedPools()).not.toContain('lifeun')
  })
})
