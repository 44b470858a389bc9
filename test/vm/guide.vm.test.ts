// The guide (shared/seed/guide-secure-external-backup-zfs-native-encryption.txt), sections 3–10, run
// literally against real OpenZFS with no project code in between. It is the oracle the engine is held
// against, and what it prints is saved under fixtures/guide/ for the parsers' unit tests.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { corrupt } from './guest/corrupt'
import { newDrive, plug, unplug, waitFor, type UsbDrive } from './guest/drives'
import { sh } from './guest/sh'

const SRC = 'rpool/nixos/home'
const DST = 'backup/eds'
const PASSPHRASE = 'correct horse battery staple'
const syncoidGuide = ['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', SRC, DST]

let DISK: UsbDrive
/** sha256 of every file in the source at each snapshot, to compare with what the drive gives back. */
const sums = new Map<string, Map<string, string>>()

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}
function sumTree(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name)
      out.set(p.slice(dir.length), sha(p))
    }
  }
  return out
}
/** A sanoid-style name a minute apart from the others, as sanoid's next hourly run would make. */
let clock = Date.now()
function sanoidName(): string {
  clock += 61_000
  return `autosnap_${new Date(clock).toISOString().slice(0, 19).replace('T', '_')}_hourly`
}
async function snapshotSource(): Promise<string> {
  const name = sanoidName()
  await sh(['zfs', 'snapshot', `${SRC}@${name}`])
  sums.set(name, sumTree('/home'))
  return name
}
async function snapshots(ds: string): Promise<Map<string, string>> {
  const { stdout } = await sh(['zfs', 'list', '-H', '-p', '-t', 'snapshot', '-o', 'name,guid', '-d', '1', ds])
  return new Map(stdout.trim().split('\n').filter(Boolean).map((l) => {
    const [name, guid] = l.split('\t')
    return [name!.split('@')[1]!, guid!]
  }))
}
async function prop(ds: string, p: string): Promise<string> {
  return (await sh(['zfs', 'get', '-H', '-o', 'value', p, ds])).stdout.trim()
}
/** Section 7's alias, one command at a time: doas zpool import backup && syncoid … && zpool export && power-off. */
async function backupToExternalDrive(fixture?: string) {
  await plug(DISK)
  await sh(['zpool', 'import', 'backup'])
  const run = await sh(syncoidGuide, { fixture })
  await sh(['zpool', 'export', 'backup'])
  await sh(['udisksctl', 'power-off', '-b', DISK.byId])
  await waitFor('the drive to power off', () => !existsSync(DISK.byId))
  await unplug(DISK)
  return run
}

beforeAll(async () => {
  // Section 0: an encrypted rpool/nixos and sanoid snapshots of rpool/nixos/home.
  writeFileSync('/root/rpool.key', PASSPHRASE)
  await sh(['zpool', 'create', '-f', '-o', 'ashift=12', '-O', 'compression=lz4', '-O', 'mountpoint=none', 'rpool', '/dev/disk/by-id/virtio-SRCDISK01'])
  await sh(['zfs', 'create', '-o', 'encryption=aes-256-gcm', '-o', 'keyformat=passphrase', '-o', 'keylocation=file:///root/rpool.key', '-o', 'mountpoint=none', 'rpool/nixos'])
  await sh(['zfs', 'create', '-o', 'mountpoint=/home', SRC])
  mkdirSync('/home/manuel/docs', { recursive: true })
  for (let i = 0; i < 8; i++) writeFileSync(`/home/manuel/docs/file${i}.bin`, randomBytes(2 * 1024 * 1024))
  writeFileSync('/home/manuel/hello.txt', 'hello from the laptop\n')
  // The test takes each later snapshot itself, one a minute apart. The image's own sanoid.timer would
  // read this config too, and at a quarter hour take an hourly of its own between two steps (seen in CI
  // at 17:00: the "nothing to do" run then had something to send).
  await sh(['systemctl', 'stop', 'sanoid.timer'], { ok: false })
  mkdirSync('/etc/sanoid', { recursive: true })
  writeFileSync('/etc/sanoid/sanoid.conf', `[${SRC}]\n\tuse_template = guide\n\trecursive = no\n\n[template_guide]\n\tautosnap = yes\n\tautoprune = yes\n\tdaily = 7\n\tweekly = 4\n\tmonthly = 2\n\tyearly = 0\n`)
  await sh(['sanoid', '--take-snapshots', '--verbose'], { fixture: 'guide/sanoid-take-snapshots.txt' })
  const taken = await snapshots(SRC)
  for (const name of taken.keys()) sums.set(name, sumTree('/home'))
  DISK = newDrive('guide1')
})

afterAll(async () => {
  await sh(['zpool', 'export', 'backup'], { ok: false })
  await sh(['zpool', 'destroy', '-f', 'rpool'], { ok: false })
  rmSync('/etc/sanoid/sanoid.conf', { force: true })
  await sh(['systemctl', 'start', 'sanoid.timer'], { ok: false })
})

describe('the guide, run literally against OpenZFS 2.3', () => {
  it('0. sanoid took snapshots of the encrypted home dataset', async () => {
    expect([...(await snapshots(SRC)).keys()].some((n) => /^autosnap_\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d_daily$/.test(n))).toBe(true)
    expect(await prop(SRC, 'encryption')).toBe('aes-256-gcm')
    expect(await prop(SRC, 'encryptionroot')).toBe('rpool/nixos')
  })

  it('2–3. the plugged drive is listed by id and partitioned; blkdiscard is unsupported on USB, as the guide allows', async () => {
    await plug(DISK)
    expect(readdirSync('/dev/disk/by-id')).toContain(DISK.byId.split('/').pop())
    const discard = await sh(['blkdiscard', '-f', DISK.byId], { ok: false, fixture: 'guide/blkdiscard-usb.txt' })
    expect(discard.exitCode).not.toBe(0)
    expect(discard.stderr).toMatch(/not supported/i)
    await sh(['parted', '--script', '--align=optimal', DISK.byId, '--', 'mklabel', 'gpt', 'mkpart', 'backup', '0%', '100%'])
    await sh(['partprobe', DISK.byId])
    await sh(['udevadm', 'settle'])
    expect(existsSync(`${DISK.byId}-part1`)).toBe(true)
  })

  it('4. the exact zpool create makes pool backup, mounted read-only at /mnt/backup_pool', async () => {
    await sh(['zpool', 'create', '-o', 'ashift=12', '-o', 'autotrim=on', '-O', 'acltype=posixacl', '-O', 'compression=zstd', '-O', 'dnodesize=auto',
      '-O', 'normalization=formD', '-O', 'relatime=on', '-O', 'xattr=sa', '-O', 'readonly=on', '-O', 'canmount=on', '-O', 'mountpoint=/mnt/backup_pool',
      'backup', `${DISK.byId}-part1`])
    const list = await sh(['zfs', 'list'], { fixture: 'guide/zfs-list-after-create.txt' })
    expect(list.stdout).toMatch(/^backup\s+.*\/mnt\/backup_pool$/m)
    await sh(['zpool', 'get', '-H', '-p', 'all', 'backup'], { fixture: 'guide/zpool-get-all.txt' })
    await sh(['lsblk', '-J', '-b', '-O', DISK.byId], { fixture: 'guide/lsblk-usb-pool.json' })
    await sh(['udevadm', 'info', '--query=property', `${DISK.byId}-part1`], { fixture: 'guide/udevadm-info-part1.txt' })
  })

  it('5. the exact syncoid command replicates raw: the copy is aes-256-gcm and its key never touched the drive', async () => {
    const run = await sh(syncoidGuide, { fixture: 'guide/syncoid-full.txt' })
    expect(run.stdout + run.stderr).toMatch(/Sending oldest full snapshot/)
    await sh(['zfs', 'get', '-H', '-p', 'encryption,keystatus,keylocation,keyformat,encryptionroot,readonly,snapdir,mountpoint,canmount,mounted', DST], { fixture: 'guide/zfs-get-target.txt' })
    expect(await prop(DST, 'encryption')).toBe('aes-256-gcm')
    expect(await prop(DST, 'keystatus')).toBe('unavailable')
    expect(await prop(DST, 'keylocation')).toBe('prompt')
    const [src, dst] = [await snapshots(SRC), await snapshots(DST)]
    expect([...dst.entries()]).toEqual([...src.entries()])
  })

  it('5.1–5.2. read-only, visible snapdir and its own mountpoint on the target', async () => {
    await sh(['zfs', 'set', 'readonly=on', DST])
    await sh(['zfs', 'set', 'snapdir=visible', DST])
    await sh(['zfs', 'set', 'mountpoint=/mnt/backup_pool/eds', DST])
    await sh(['zfs', 'set', 'canmount=on', DST])
    expect(await prop(DST, 'readonly')).toBe('on')
    expect(await prop(DST, 'snapdir')).toBe('visible')
  })

  it('6. export, then udisksctl power-off makes the drive disappear', async () => {
    await sh(['zpool', 'export', 'backup'])
    await sh(['udisksctl', 'power-off', '-b', DISK.byId], { fixture: 'guide/udisksctl-power-off.txt' })
    await waitFor('the by-id link to disappear', () => !existsSync(DISK.byId))
    await unplug(DISK)
    await plug(DISK)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id'], { fixture: 'guide/zpool-import-list.txt' })
    await sh(['udisksctl', 'power-off', '-b', DISK.byId])
    await waitFor('the by-id link to disappear', () => !existsSync(DISK.byId))
    await unplug(DISK)
  })

  it('7. the alias sends only what is new: an incremental with changed, added and deleted files', async () => {
    writeFileSync('/home/manuel/new.txt', 'written after the first backup\n')
    writeFileSync('/home/manuel/docs/file1.bin', randomBytes(1024 * 1024))
    await sh(['rm', '/home/manuel/docs/file2.bin'])
    const newest = await snapshotSource()
    const run = await backupToExternalDrive('guide/syncoid-incremental.txt')
    expect(run.stdout + run.stderr).toMatch(/Sending incremental/)
    await plug(DISK)
    await sh(['zpool', 'import', 'backup'])
    expect((await snapshots(DST)).get(newest)).toBe((await snapshots(SRC)).get(newest))
    await sh(['zpool', 'export', 'backup'])
    await sh(['udisksctl', 'power-off', '-b', DISK.byId])
    await unplug(DISK)
  })

  it('--delete-target-snapshots prunes the drive only when something new is sent (known syncoid behaviour)', async () => {
    const pruned = [...(await snapshots(SRC)).keys()][0]!
    await sh(['zfs', 'destroy', `${SRC}@${pruned}`])
    const idle = await backupToExternalDrive('guide/syncoid-nothing-to-do.txt')
    expect(idle.stdout + idle.stderr).toMatch(/Nothing to do/)
    await plug(DISK)
    await sh(['zpool', 'import', 'backup'])
    expect((await snapshots(DST)).has(pruned)).toBe(true)
    await sh(['zpool', 'export', 'backup'])
    await sh(['udisksctl', 'power-off', '-b', DISK.byId])
    await unplug(DISK)

    await snapshotSource()
    await backupToExternalDrive('guide/syncoid-incremental-with-prune.txt')
    await plug(DISK)
    await sh(['zpool', 'import', 'backup'])
    expect((await snapshots(DST)).has(pruned)).toBe(false)
    expect([...(await snapshots(DST)).keys()]).toEqual([...(await snapshots(SRC)).keys()])
  })

  it('8. a scrub of the healthy drive repairs nothing and finds no errors', async () => {
    await sh(['zpool', 'scrub', '-w', 'backup'])
    const status = await sh(['zpool', 'status', '-v', 'backup'], { fixture: 'guide/zpool-status-v-clean.txt' })
    expect(status.stdout).toMatch(/scrub repaired 0B .* with 0 errors/)
    expect(status.stdout).toMatch(/errors: No known data errors/)
    await sh(['zpool', 'status', '-j', 'backup'], { fixture: 'guide/zpool-status-j-clean.json' })
  })

  it('9. restore: as written, mounting the dataset under the read-only pool root fails; with the root unmounted every file matches', async () => {
    await sh(['zfs', 'load-key', DST], { input: PASSPHRASE + '\n' })
    expect(await prop(DST, 'keystatus')).toBe('available')
    const literal = await sh(['zfs', 'mount', DST], { ok: false, fixture: 'guide/zfs-mount-under-readonly-root.txt' })
    expect(literal.exitCode).not.toBe(0)
    expect(literal.stderr).toMatch(/failed to create mountpoint: Read-only file system/)
    await sh(['zfs', 'unmount', 'backup'])
    await sh(['zfs', 'mount', DST])
    const snapdir = '/mnt/backup_pool/eds/.zfs/snapshot'
    const onDrive = readdirSync(snapdir).sort()
    expect(onDrive).toEqual([...(await snapshots(SRC)).keys()].sort())
    for (const snap of onDrive) {
      expect(sumTree(join(snapdir, snap)), `files of @${snap}`).toEqual(sums.get(snap))
    }
    await sh(['cp', '-a', join(snapdir, onDrive[0]!, 'manuel/hello.txt'), '/root/restored-hello.txt'])
    expect(readFileSync('/root/restored-hello.txt', 'utf8')).toBe('hello from the laptop\n')
    await sh(['zfs', 'unmount', DST])
    await sh(['zfs', 'unload-key', DST])
    await sh(['zpool', 'export', 'backup'])
  })

  it('10. zfs diff, snapshot listing and zfs allow on the source', async () => {
    const names = [...(await snapshots(SRC)).keys()]
    const diff = await sh(['zfs', 'diff', `${SRC}@${names[0]}`, `${SRC}@${names.at(-1)}`], { fixture: 'guide/zfs-diff.txt' })
    expect(diff.stdout).toMatch(/^\+\s+\/home\/manuel\/new\.txt$/m)
    expect(diff.stdout).toMatch(/^-\s+\/home\/manuel\/docs\/file2\.bin$/m)
    expect(diff.stdout).toMatch(/^M\s+\/home\/manuel\/docs\/file1\.bin$/m)
    await sh(['zfs', 'list', '-r', '-t', 'snapshot', '-o', 'name,creation', SRC], { fixture: 'guide/zfs-list-snapshots.txt' })
    await sh(['zfs', 'allow', '-u', 'nobody', 'create,destroy,mount,snapshot', SRC])
    const allow = await sh(['zfs', 'allow', SRC], { fixture: 'guide/zfs-allow.txt' })
    expect(allow.stdout).toMatch(/user nobody create,destroy,mount,snapshot/)
  })

  it('8 again. a scrub finds corruption written to the drive behind ZFS\'s back; without the key the file list is withheld', async () => {
    // The drive is still plugged in from section 9.
    await sh(['udisksctl', 'power-off', '-b', DISK.byId])
    await unplug(DISK)
    const hit = corrupt(DISK.imagePath, 20)
    expect(hit).toBeGreaterThan(10)
    await plug(DISK)
    await sh(['zpool', 'import', 'backup'])
    await sh(['zpool', 'scrub', '-w', 'backup'])
    const status = await sh(['zpool', 'status', '-v', 'backup'], { fixture: 'guide/zpool-status-v-corrupt-nokey.txt' })
    expect(status.exitCode).toBe(0)
    expect(status.stdout).toMatch(/scrub repaired .* with [1-9]\d* errors/)
    expect(status.stdout + status.stderr).toMatch(/List of errors unavailable: permission denied/)
    await sh(['zpool', 'status', '-j', 'backup'], { fixture: 'guide/zpool-status-j-corrupt.json' })
    await sh(['zpool', 'status', '-x', 'backup'], { fixture: 'guide/zpool-status-x-corrupt.txt' })
    await sh(['zfs', 'load-key', DST], { input: PASSPHRASE + '\n' })
    const withKey = await sh(['zpool', 'status', '-v', 'backup'], { fixture: 'guide/zpool-status-v-corrupt-key.txt' })
    expect(withKey.stdout).toMatch(/backup\/eds.*:\/.+/)
    await sh(['zfs', 'unload-key', DST])
    await sh(['zpool', 'export', 'backup'])
  })
})
