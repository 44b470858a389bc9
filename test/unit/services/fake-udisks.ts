// Just enough of udisksd for the drive watcher: the ObjectManager at /org/freedesktop/UDisks2 with
// GetManagedObjects and InterfacesAdded/Removed, and the Drive/Block objects a USB drive with a ZFS
// partition produces (same properties as measured in the test VM).
import { Message, Variant, type MessageBus } from 'dbus-next'

const ROOT = '/org/freedesktop/UDisks2'
const OM = 'org.freedesktop.DBus.ObjectManager'
type Ifaces = Record<string, Record<string, Variant>>

export interface FakeDisk {
  serial: string
  /** kernel name, e.g. sdb */
  dev: string
  /** pool on partition 1, or none for a blank drive */
  pool?: { name: string; guid: string }
}

export class FakeUdisks {
  readonly objects = new Map<string, Ifaces>()
  /** Makes GetManagedObjects slow, to let signals race with it. */
  replyDelayMs = 0
  enumerations = 0

  constructor(private readonly bus: MessageBus) {}

  static async start(bus: MessageBus): Promise<FakeUdisks> {
    const f = new FakeUdisks(bus)
    bus.addMethodHandler((msg: Message) => {
      if (msg.path !== ROOT || msg.interface !== OM || msg.member !== 'GetManagedObjects') return false
      f.enumerations++
      setTimeout(() => bus.send(Message.newMethodReturn(msg, 'a{oa{sa{sv}}}', [Object.fromEntries(f.objects)])), f.replyDelayMs)
      return true
    })
    await bus.requestName('org.freedesktop.UDisks2', 0)
    return f
  }

  /** The objects a plugged drive adds, in udisksd's order: Drive, disk Block, then the partition. */
  plugged(d: FakeDisk): [string, Ifaces][] {
    const drive = `${ROOT}/drives/QEMU_QEMU_HARDDISK_${d.serial}`
    const block = (dev: string, id: { type: string; uuid: string; label: string }): Record<string, Variant> => ({
      Device: new Variant('ay', Buffer.from(`/dev/${dev}\0`)),
      PreferredDevice: new Variant('ay', Buffer.from(`/dev/${dev}\0`)),
      Drive: new Variant('o', drive),
      IdType: new Variant('s', id.type),
      IdUUID: new Variant('s', id.uuid),
      IdLabel: new Variant('s', id.label),
      Size: new Variant('t', 1073741824n),
    })
    const out: [string, Ifaces][] = [
      [drive, { 'org.freedesktop.UDisks2.Drive': { Serial: new Variant('s', d.serial), ConnectionBus: new Variant('s', 'usb'), Removable: new Variant('b', true) } }],
      [`${ROOT}/block_devices/${d.dev}`, { 'org.freedesktop.UDisks2.Block': block(d.dev, { type: '', uuid: '', label: '' }), 'org.freedesktop.UDisks2.PartitionTable': { Type: new Variant('s', 'gpt') } }],
    ]
    if (d.pool) {
      out.push([`${ROOT}/block_devices/${d.dev}1`, {
        'org.freedesktop.UDisks2.Block': block(`${d.dev}1`, { type: 'zfs_member', uuid: d.pool.guid, label: d.pool.name }),
        'org.freedesktop.UDisks2.Filesystem': { MountPoints: new Variant('aay', []) },
        'org.freedesktop.UDisks2.Partition': { Number: new Variant('u', 1) },
      }])
    }
    return out
  }

  /** Present from the start: no signals. */
  preload(d: FakeDisk): void {
    for (const [path, ifaces] of this.plugged(d)) this.objects.set(path, ifaces)
  }

  /** Hot-plug: one InterfacesAdded per object, a few ms apart as on real hardware. */
  async plug(d: FakeDisk, gapMs = 20): Promise<void> {
    for (const [path, ifaces] of this.plugged(d)) {
      this.objects.set(path, ifaces)
      this.bus.send(Message.newSignal(ROOT, OM, 'InterfacesAdded', 'oa{sa{sv}}', [path, ifaces]))
      await sleep(gapMs)
    }
  }

  /** Unplug: partitions first, then the disk, then the Drive (the kernel's order). */
  async unplug(d: FakeDisk, gapMs = 20): Promise<void> {
    for (const [path, ifaces] of this.plugged(d).reverse()) {
      this.objects.delete(path)
      this.bus.send(Message.newSignal(ROOT, OM, 'InterfacesRemoved', 'oas', [path, Object.keys(ifaces)]))
      await sleep(gapMs)
    }
  }

  /** What a partition rescan looks like: the partition object goes and comes back. */
  async rescanPartition(d: FakeDisk): Promise<void> {
    const [path, ifaces] = this.plugged(d)[2]!
    this.objects.delete(path)
    this.bus.send(Message.newSignal(ROOT, OM, 'InterfacesRemoved', 'oas', [path, Object.keys(ifaces)]))
    await sleep(50)
    this.objects.set(path, ifaces)
    this.bus.send(Message.newSignal(ROOT, OM, 'InterfacesAdded', 'oa{sa{sv}}', [path, ifaces]))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
