import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { byIdFor, flattenDevices, parseLsblk, parseUdevProperties, readByIdLinks, zfsMembers } from '../../../main/system/lsblk'
import { findHolders, isUnder, parseMapsPaths } from '../../../main/system/processes'
import { parseUdisksInfo, powerOffArgv } from '../../../main/system/udisksctl'
import { devices } from '../../../main/system/devices'
import { fixture } from './fixtures'

const temps: string[] = []
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'zdb-test-'))
  temps.push(d)
  return d
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

describe('lsblk -J', () => {
  const devices = parseLsblk(fixture('lsblk.txt'))

  it('reads the tree with sizes in bytes and booleans', () => {
    const vda = devices.find((d) => d.name === 'vda')!
    expect(vda).toMatchObject({ path: '/dev/vda', size: 4294967296, type: 'disk', serial: 'SRCDISK01', hotplug: false, removable: false, mountpoints: [] })
    expect(vda.children.map((c) => c.name)).toEqual(['vda1', 'vda2'])
    expect(devices.find((d) => d.name === 'vdc')!.mountpoints).toEqual(['/'])
    // QEMU's floppy and DVD are "hotplug" and "removable": detection must not rely on those flags alone.
    expect(devices.find((d) => d.name === 'sr0')).toMatchObject({ type: 'rom', tran: 'ata', hotplug: true, removable: true })
  })

  it('finds ZFS members with their pool name and decimal pool GUID', () => {
    expect(zfsMembers(devices).map((m) => [m.device.path, m.pool, m.poolGuid])).toEqual([
      ['/dev/vda1', 'tank', '14404312252997950572'],
      ['/dev/vda2', 'backup', '16412717767768173259'],
    ])
    expect(flattenDevices(devices)).toHaveLength(7)
  })
})

describe('udev and by-id', () => {
  it('parses udevadm properties; ID_FS_UUID of a zfs_member is the pool GUID', () => {
    const p = parseUdevProperties(fixture('udevadm-info-zfs-member.txt'))
    expect(p).toMatchObject({ ID_FS_TYPE: 'zfs_member', ID_FS_LABEL: 'backup', ID_FS_UUID: '16412717767768173259', DEVNAME: '/dev/vda2' })
    expect(p.DEVLINKS!.split(' ')).toContain('/dev/disk/by-id/virtio-SRCDISK01-part2')
    expect(parseUdevProperties(fixture('udevadm-info-disk.txt')).ID_SERIAL).toBe('SRCDISK01')
  })

  it('resolves by-id symlinks to kernel devices', async () => {
    const dir = await tmp()
    await symlink('../../vda', join(dir, 'virtio-SRCDISK01'))
    await symlink('../../vda2', join(dir, 'virtio-SRCDISK01-part2'))
    await symlink('../../sda', join(dir, 'wwn-0x5000000000000001'))
    await symlink('../../sda', join(dir, 'usb-WD_Elements_1234-0:0'))
    await writeFile(join(dir, 'not-a-link'), '')
    const links = await readByIdLinks(dir)
    expect(links).toContainEqual({ link: '/dev/disk/by-id/virtio-SRCDISK01-part2', device: '/dev/vda2' })
    expect(links).toHaveLength(4)
    expect(byIdFor('/dev/vda', links)).toEqual(['/dev/disk/by-id/virtio-SRCDISK01'])
    expect(byIdFor('sda', links)).toEqual(['/dev/disk/by-id/usb-WD_Elements_1234-0:0', '/dev/disk/by-id/wwn-0x5000000000000001'])
    expect(await readByIdLinks(join(dir, 'missing'))).toEqual([])
  })
})

describe('udisksctl', () => {
  it("builds the guide's power-off and refuses anything but a by-id path", () => {
    expect(powerOffArgv('/dev/disk/by-id/usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0')).toEqual(['udisksctl', 'power-off', '-b', '/dev/disk/by-id/usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0'])
    expect(() => powerOffArgv('/dev/sda')).toThrow(/by-id/)
  })

  it('parses udisksctl info, including multi-line lists', () => {
    const info = parseUdisksInfo(fixture('udisksctl-info.txt'))
    expect(info.Block).toMatchObject({ IdType: 'zfs_member', IdLabel: 'backup', IdUUID: '16412717767768173259', Drive: "'/org/freedesktop/UDisks2/drives/VirtIO_Disk_SRCDISK01'" })
    expect(info.Block!.Symlinks).toContain('/dev/disk/by-id/virtio-SRCDISK01-part2')
    expect(info.Block!.Symlinks).toHaveLength(8)
    expect(info.Partition!.Number).toBe('2')
  })
})

describe('processes holding a mountpoint', () => {
  it('treats only the mountpoint and paths below it as inside', () => {
    expect(isUnder('/mnt/backup_pool', '/mnt/backup_pool')).toBe(true)
    expect(isUnder('/mnt/backup_pool/data/x', '/mnt/backup_pool/')).toBe(true)
    expect(isUnder('/mnt/backup_pool2/x', '/mnt/backup_pool')).toBe(false)
    expect(isUnder('/mnt/backup_pool/f (deleted)', '/mnt/backup_pool')).toBe(true)
  })

  it('reads paths (with spaces) from maps', () => {
    const maps = '7f00-7f01 r-xp 00000000 00:2a 12 /mnt/backup_pool/my lib.so\n7f02-7f03 rw-p 00000000 00:00 0 \n7f04-7f05 r--p 0 fd:00 3 /usr/lib/libc.so.6\n'
    expect(parseMapsPaths(maps)).toEqual(['/mnt/backup_pool/my lib.so', '/usr/lib/libc.so.6'])
  })

  it('finds cwd, root, open files and mappings under the mountpoint in a fake /proc', async () => {
    const proc = await tmp()
    const mk = async (pid: number, comm: string, links: Record<string, string>, fds: Record<string, string>, maps = ''): Promise<void> => {
      const d = join(proc, String(pid))
      await mkdir(join(d, 'fd'), { recursive: true })
      await writeFile(join(d, 'comm'), `${comm}\n`)
      await writeFile(join(d, 'maps'), maps)
      for (const [k, v] of Object.entries(links)) await symlink(v, join(d, k))
      for (const [k, v] of Object.entries(fds)) await symlink(v, join(d, 'fd', k))
    }
    await mk(10, 'bash', { cwd: '/mnt/backup_pool/data', root: '/' }, { '0': '/dev/pts/0' })
    await mk(11, 'nautilus', { cwd: '/home/u', root: '/' }, { '3': '/mnt/backup_pool/data/a.txt', '4': 'socket:[123]' })
    await mk(12, 'vim', { cwd: '/home/u', root: '/' }, {}, '1-2 r--p 0 0:1 5 /mnt/backup_pool/data/.swp\n')
    await mk(13, 'other', { cwd: '/mnt/backup_pool2', root: '/' }, {})
    await writeFile(join(proc, 'self'), '')
    const holds = await findHolders('/mnt/backup_pool', proc)
    expect(holds).toEqual([
      { pid: 10, command: 'bash', kind: 'cwd', path: '/mnt/backup_pool/data' },
      { pid: 11, command: 'nautilus', kind: 'fd', path: '/mnt/backup_pool/data/a.txt' },
      { pid: 12, command: 'vim', kind: 'map', path: '/mnt/backup_pool/data/.swp' },
    ])
  })

  it('finds this test process when its cwd is inside a directory (real /proc)', async () => {
    const dir = await tmp()
    const before = process.cwd()
    process.chdir(dir)
    try {
      const holds = await findHolders(dir)
      expect(holds).toContainEqual(expect.objectContaining({ pid: process.pid, kind: 'cwd', path: dir }))
    } finally {
      process.chdir(before)
    }
  })
})

describe('a drive\'s own device links', () => {
  it('are its whole-disk link and its partitions, not a disk whose name merely starts the same', async () => {
    const d = await tmp()
    for (const n of ['usb-T7_ZDB1', 'usb-T7_ZDB1-part1', 'usb-T7_ZDB1-part12', 'usb-T7_ZDB10', 'usb-T7_ZDB10-part1', 'usb-T7_ZDB1-partx']) await writeFile(join(d, n), '')
    expect(devices.linksOf(join(d, 'usb-T7_ZDB1'))).toEqual(['usb-T7_ZDB1', 'usb-T7_ZDB1-part1', 'usb-T7_ZDB1-part12'].map((n) => join(d, n)))
    expect(devices.linksOf(join(d, 'gone', 'usb-T7_ZDB1'))).toEqual([])
  })

  it('a plain file nothing holds opens exclusively; a missing one counts as held (never powered off blind)', async () => {
    const d = await tmp()
    await writeFile(join(d, 'disk'), '')
    expect(devices.unheld(join(d, 'disk'))).toBe(true)
    expect(devices.unheld(join(d, 'missing'))).toBe(false)
  })
})
