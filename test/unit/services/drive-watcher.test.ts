import { Message, sessionBus, type MessageBus } from 'dbus-next'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DriveConfig } from '../../../main/config/schema'
import { DriveWatcher, type DriveConnected, type DriveRemoved, type UnknownPool } from '../../../main/services/drive-watcher'
import { FakeUdisks, sleep, type FakeDisk } from './fake-udisks'
import { startPrivateBus, type PrivateBus } from './private-bus'

// A GUID above 2^63, as many real ones are: it must survive as a string, never a JS number.
const GUID = '13251836079750056283'
const drive: DriveConfig = {
  name: 'Blue drive',
  pool: 'backup',
  poolGuid: GUID,
  disk: '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_BLUE-0:0',
  targets: { 'rpool/home': 'backup/home' },
}
const blue: FakeDisk = { serial: 'BLUE', dev: 'sdb', pool: { name: 'backup', guid: GUID } }
const stranger: FakeDisk = { serial: 'OTHER', dev: 'sdc', pool: { name: 'backup', guid: '7074542823429349438' } }
const blank: FakeDisk = { serial: 'BLANK', dev: 'sdd' }

let privateBus: PrivateBus
let server: MessageBus
let udisks: FakeUdisks
let watcher: DriveWatcher | undefined
let events: { connected: DriveConnected[]; removed: DriveRemoved[]; unknown: UnknownPool[] }

beforeAll(async () => {
  privateBus = await startPrivateBus()
})
afterAll(async () => {
  await privateBus.close()
})
beforeEach(async () => {
  server = await privateBus.connect()
  udisks = await FakeUdisks.start(server)
  events = { connected: [], removed: [], unknown: [] }
})
afterEach(async () => {
  await watcher?.stop()
  watcher = undefined
  server.disconnect()
})

async function startWatcher(extra: Partial<Parameters<typeof DriveWatcher.start>[0]> = {}): Promise<DriveWatcher> {
  watcher = await DriveWatcher.start({ drives: [drive], backend: 'udisks', bus: () => busFor(), debounceMs: 200, ...extra }, (w) => {
    w.on('driveConnected', (e) => events.connected.push(e))
    w.on('driveRemoved', (e) => events.removed.push(e))
    w.on('unknownPool', (e) => events.unknown.push(e))
  })
  return watcher
}
// The watcher opens (and closes) its own connection, as it does with the real system bus.
function busFor(): MessageBus {
  return sessionBus({ busAddress: privateBus.address })
}

describe('drive watcher on UDisks2', () => {
  it('reports a configured drive that is already plugged in at start', async () => {
    udisks.preload(blue)
    udisks.preload(blank)
    const w = await startWatcher()
    expect(w.backend).toBe('udisks')
    expect(events.connected).toHaveLength(1)
    expect(events.connected[0]).toMatchObject({ drive: { name: 'Blue drive' }, device: '/dev/sdb1', atStart: true })
    expect(w.current()).toEqual([{ drive, device: '/dev/sdb1' }])
  })

  it('reports a hot-plug once and an unplug once, however many objects come and go', async () => {
    const w = await startWatcher()
    expect(events.connected).toEqual([])
    await udisks.plug(blue)
    await sleep(50)
    expect(events.connected).toHaveLength(1)
    expect(events.connected[0]).toMatchObject({ device: '/dev/sdb1', atStart: false })
    expect(events.connected[0]!.at).toBeInstanceOf(Date)
    await udisks.unplug(blue)
    await sleep(400)
    expect(events.removed).toHaveLength(1)
    expect(events.removed[0]!.drive.name).toBe('Blue drive')
    expect(events.connected).toHaveLength(1)
    expect(w.current()).toEqual([])
  })

  it('does not take a partition rescan for an unplug', async () => {
    await startWatcher()
    await udisks.plug(blue)
    await udisks.rescanPartition(blue)
    await sleep(400)
    expect(events.connected).toHaveLength(1)
    expect(events.removed).toHaveLength(0)
  })

  it('counts the drive as removed when its Drive object goes, even if no partition signal comes', async () => {
    await startWatcher()
    await udisks.plug(blue)
    const [drivePath, ifaces] = udisks.plugged(blue)[0]!
    server.send(Message.newSignal('/org/freedesktop/UDisks2', 'org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', 'oas', [drivePath, Object.keys(ifaces)]))
    await sleep(400)
    expect(events.removed).toHaveLength(1)
  })

  it('never takes a pool with the same name but another GUID for the configured drive', async () => {
    await startWatcher()
    await udisks.plug(stranger)
    await sleep(50)
    expect(events.connected).toEqual([])
    expect(watcher!.current()).toEqual([])
    expect(events.unknown).toHaveLength(1)
    expect(events.unknown[0]).toMatchObject({ pool: 'backup', poolGuid: '7074542823429349438', device: '/dev/sdc1', namesake: { name: 'Blue drive' } })
  })

  it('misses nothing that is plugged while the first enumeration is on its way', async () => {
    udisks.replyDelayMs = 300
    const starting = startWatcher()
    await sleep(100)
    await udisks.plug(blue, 5)
    await starting
    await sleep(50)
    expect(events.connected).toHaveLength(1)
  })

  it('picks up a drive configured while it is plugged in, and forgets one removed from the config', async () => {
    udisks.preload(blue)
    const w = await startWatcher({ drives: [] })
    expect(events.connected).toEqual([])
    w.setDrives([drive])
    expect(events.connected).toHaveLength(1)
    w.setDrives([])
    expect(events.removed).toHaveLength(1)
  })

  it('says UDisks2 is missing when nobody owns its name', async () => {
    await server.releaseName('org.freedesktop.UDisks2')
    await expect(startWatcher()).rejects.toThrow(/org\.freedesktop\.UDisks2 is not on the system bus/)
  })
})
