// The udev fallback with a stand-in udevadm (a shell script printing what the real one prints), so the
// parsing and the monitor-then-enumerate order are checked on hosts without udev. The real udevadm is
// exercised in test/vm/drive-watcher.vm.test.ts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DriveConfig } from '../../../main/config/schema'
import { DriveWatcher } from '../../../main/services/drive-watcher'
import { sleep } from './fake-udisks'

const GUID = '16412717767768173259'
const drive: DriveConfig = { name: 'Blue drive', pool: 'backup', poolGuid: GUID, disk: '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_BLUE-0:0', targets: {} }

const partition = (action: string, dev: string, guid: string) => `UDEV  [1234.567890] ${action}      /devices/usb/block/${dev.slice(0, 3)}/${dev} (block)
ACTION=${action}
DEVPATH=/devices/usb/block/${dev.slice(0, 3)}/${dev}
SUBSYSTEM=block
DEVNAME=/dev/${dev}
DEVTYPE=partition
ID_BUS=usb
ID_FS_TYPE=zfs_member
ID_FS_LABEL=backup
ID_FS_UUID=${guid}

`
const disk = (action: string, dev: string) => `UDEV  [1234.500000] ${action}      /devices/usb/block/${dev} (block)
ACTION=${action}
DEVPATH=/devices/usb/block/${dev}
SUBSYSTEM=block
DEVNAME=/dev/${dev}
DEVTYPE=disk
ID_PART_TABLE_TYPE=gpt

`
const exportDb = `P: /devices/virtio/block/vda
N: vda
E: DEVPATH=/devices/virtio/block/vda
E: SUBSYSTEM=block
E: DEVNAME=/dev/vda

P: /devices/usb/block/sdc/sdc1
N: sdc1
E: DEVPATH=/devices/usb/block/sdc/sdc1
E: SUBSYSTEM=block
E: DEVNAME=/dev/sdc1
E: ID_FS_TYPE=zfs_member
E: ID_FS_LABEL=backup
E: ID_FS_UUID=${GUID}
`

const dirs: string[] = []
let watcher: DriveWatcher | undefined
afterEach(async () => {
  await watcher?.stop()
  watcher = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function fakeUdevadm(monitorScript: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-udevadm-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'db.txt'), exportDb)
  writeFileSync(join(dir, 'events.txt'), monitorScript)
  const path = join(dir, 'udevadm')
  writeFileSync(path, `#!/bin/sh
case "$1" in
  info) cat "${dir}/db.txt" ;;
  monitor)
    printf 'monitor will print the received events for:\\nUDEV - the event which udev sends out after rule processing\\n\\n'
    sleep 0.3
    cat "${dir}/events.txt"
    exec sleep 30 ;;
esac
`)
  chmodSync(path, 0o755)
  return path
}

describe('drive watcher on udevadm (fallback)', () => {
  it('enumerates what is plugged in, then follows plug, rescan and unplug events', async () => {
    const udevadm = fakeUdevadm(
      partition('remove', 'sdc1', GUID) + disk('remove', 'sdc') + // unplugged after the enumeration
        disk('add', 'sdd') + partition('add', 'sdd1', GUID) + // plugged again, now as sdd
        partition('remove', 'sdd1', GUID) + partition('add', 'sdd1', GUID) + // a partition rescan
        partition('add', 'sde1', '7074542823429349438'), // someone else's "backup" pool
    )
    const log: string[] = []
    watcher = await DriveWatcher.start({ drives: [drive], backend: 'udev', udevadm, debounceMs: 100 }, (w) => {
      w.on('driveConnected', (e) => log.push(`connected ${e.drive.name} ${e.device}${e.atStart ? ' at start' : ''}`))
      w.on('driveRemoved', (e) => log.push(`removed ${e.drive.name}`))
      w.on('unknownPool', (e) => log.push(`unknown ${e.pool} ${e.poolGuid} ${e.device} namesake=${e.namesake?.name}`))
    })
    expect(watcher.backend).toBe('udev')
    expect(log).toEqual(['connected Blue drive /dev/sdc1 at start'])
    await sleep(800)
    expect(log).toEqual([
      'connected Blue drive /dev/sdc1 at start',
      'unknown backup 7074542823429349438 /dev/sde1 namesake=Blue drive',
    ])
    // The unplug and replug fell within the debounce window: the drive never looked gone to the app,
    // but it knows the drive's new device name.
    expect(watcher.current()).toEqual([{ drive, device: '/dev/sdd1' }])
  })

  it('reports an unplug once the partition stays gone', async () => {
    const udevadm = fakeUdevadm(partition('remove', 'sdc1', GUID) + disk('remove', 'sdc'))
    const log: string[] = []
    watcher = await DriveWatcher.start({ drives: [drive], backend: 'udev', udevadm, debounceMs: 100 }, (w) => {
      w.on('driveRemoved', (e) => log.push(`removed ${e.drive.name}`))
    })
    await sleep(700)
    expect(log).toEqual(['removed Blue drive'])
    expect(watcher.current()).toEqual([])
  })
})
