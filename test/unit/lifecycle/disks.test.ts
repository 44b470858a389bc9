// Which disks setup may erase, from lsblk output captured in the test VM, and the typed confirmation.
import { describe, expect, it } from 'vitest'
import { assessDisks, confirmationMatches, confirmationWord, parseSystemPools, whyIneligible, type DiskFacts } from '../../../main/engine/disks'
import type { BlockDevice, ByIdLink } from '../../../main/system/lsblk'
import { parseLsblk } from '../../../main/system/lsblk'
import type { PoolListEntry } from '../../../main/system/zpool'
import { fixture } from '../system/fixtures'

const strip = (text: string): string => text.split('\n').filter((l) => !l.startsWith('#')).join('\n')
const vm = parseLsblk(fixture('lsblk.txt'))
const usb = parseLsblk(strip(fixture('guide/lsblk-usb-pool.json')))
const links: ByIdLink[] = [
  { link: '/dev/disk/by-id/virtio-SRCDISK01', device: '/dev/vda' },
  { link: '/dev/disk/by-id/virtio-SRCDISK01-part1', device: '/dev/vda1' },
  { link: '/dev/disk/by-id/virtio-PROJECT', device: '/dev/vdb' },
  { link: '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_ZDBGUIDE1-0:0', device: '/dev/sda' },
  { link: '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_ZDBGUIDE1-0:0-part1', device: '/dev/sda1' },
  { link: '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4', device: '/dev/sda' },
]
const pool = (name: string, guid: string): PoolListEntry => ({ name, guid, health: 'ONLINE', size: 1, allocated: 0, free: 1, readonly: false, altroot: null })
const facts = (over: Partial<DiskFacts> = {}): DiskFacts => ({ devices: [...vm, ...usb], links, pools: [pool('tank', '14404312252997950572')], drives: [], ...over })
const byName = (list: ReturnType<typeof assessDisks>, dev: string) => list.find((d) => d.device === dev)!

describe('disk eligibility (lsblk -J from the VM)', () => {
  const list = assessDisks(facts())

  it('ignores the floppy and the DVD drive, and lists USB disks first', () => {
    expect(list.map((d) => d.device)).not.toContain('/dev/fd0')
    expect(list.map((d) => d.device)).not.toContain('/dev/sr0')
    expect(list[0]!.transport).toBe('usb')
  })

  it('marks the disk holding / as the running system, even without a by-id link', () => {
    expect(byName(list, '/dev/vdc')).toMatchObject({ eligible: false, byId: null, reason: "holds the running system (/dev/vdc is mounted at /)" })
  })

  it('marks a disk with a mounted filesystem', () => {
    expect(byName(list, '/dev/vdb')).toMatchObject({ eligible: false, byId: '/dev/disk/by-id/virtio-PROJECT', reason: 'has a mounted filesystem (/dev/vdb at /opt/proj)' })
  })

  it('marks a member of an imported pool, naming the pool', () => {
    expect(byName(list, '/dev/vda')).toMatchObject({ eligible: false, reason: '/dev/vda1 is a member of the imported pool tank' })
  })

  it('accepts a USB disk whose pool is exported, names the usb- link rather than wwn-, and says what it holds', () => {
    const d = byName(list, '/dev/sda')
    expect(d).toMatchObject({ eligible: true, byId: '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_ZDBGUIDE1-0:0', model: 'QEMU HARDDISK', serial: 'ZDBGUIDE1', sizeBytes: 1073741824, transport: 'usb' })
    expect(d.pools).toEqual([{ name: 'backup', guid: '6794569209828932270', imported: false, configuredAs: null }])
  })

  it('refuses the same USB disk once its pool is imported, and says which configured drive it is', () => {
    const drives = [{ name: 'T7', pool: 'backup', poolGuid: '6794569209828932270', disk: '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_ZDBGUIDE1-0:0', targets: {} }]
    const d = byName(assessDisks(facts({ pools: [pool('backup', '6794569209828932270')], drives })), '/dev/sda')
    expect(d).toMatchObject({ eligible: false, reason: '/dev/sda1 is a member of the imported pool backup' })
    expect(d.pools[0]).toMatchObject({ imported: true, configuredAs: 'T7' })
  })

  it('swap and a ZFS root pool count as the running system or swap', () => {
    const disk = (children: Partial<BlockDevice>[]): BlockDevice => ({
      name: 'nvme0n1', path: '/dev/nvme0n1', size: 1e12, type: 'disk', tran: 'nvme', model: 'X', serial: 'S', mountpoints: [], fstype: null, label: null, uuid: null, pkname: null, hotplug: false, removable: false,
      children: children.map((c, i) => ({ name: `p${i}`, path: `/dev/nvme0n1p${i + 1}`, size: 1, type: 'part', tran: null, model: null, serial: null, mountpoints: [], fstype: null, label: null, uuid: null, pkname: 'nvme0n1', hotplug: false, removable: false, children: [], ...c })),
    })
    const f = facts({ pools: [], systemPools: parseSystemPools('rpool/nixos/root / zfs rw,relatime,xattr,posixacl 0 0\nrpool/nixos/home /home zfs rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n') })
    expect(whyIneligible(disk([{ fstype: 'swap', mountpoints: ['[SWAP]'] }]), f)).toBe('/dev/nvme0n1p1 is in use as swap')
    expect(whyIneligible(disk([{ fstype: 'zfs_member', label: 'rpool', uuid: '1' }]), f)).toBe('holds the running system (pool rpool on /dev/nvme0n1p1)')
    expect(whyIneligible(disk([{ fstype: 'vfat', mountpoints: ['/boot'] }]), f)).toMatch(/running system .* \/boot/)
    expect(whyIneligible(disk([{ fstype: 'swap' }]), f)).toBeUndefined()
  })
})

describe('typed confirmation', () => {
  const disk = '/dev/disk/by-id/usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0'
  it('is the by-id name, with or without the directory', () => {
    expect(confirmationWord(disk)).toBe('usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0')
    expect(confirmationMatches(disk, 'usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0')).toBe(true)
    expect(confirmationMatches(disk, disk)).toBe(true)
  })
  it('must match exactly', () => {
    for (const wrong of [undefined, '', 'yes', 'usb-Samsung_PSSD_T7_S6XNNS0TB03264T', 'USB-SAMSUNG_PSSD_T7_S6XNNS0TB03264T-0:0', ' usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0', '/dev/sda']) {
      expect(confirmationMatches(disk, wrong)).toBe(false)
    }
  })
})
