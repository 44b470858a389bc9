// Pool members as UDisks2 sees them, over the system D-Bus. UDisks2 mirrors udev's blkid results on the
// org.freedesktop.UDisks2.Block interface: IdType "zfs_member", IdUUID = pool GUID in decimal, IdLabel =
// pool name (measured in the test VM, 0.1–0.2 s after udev).
//
// Order matters: the match rules are added (and acknowledged by the bus) before GetManagedObjects, so no
// change can fall between the enumeration and the first signal.
import { z } from 'zod'
import { isUint64 } from '../../system/tabular'
import { addMatch, bytesToString, callWithSerial, isReplyTo, isSignal, matchRule, nameOwner, removeMatch, startService, unwrap, type DbusMessage, type MessageBus } from '../dbus'
import type { MemberSink, MemberSource, ZfsMember } from './types'

export const UDISKS_NAME = 'org.freedesktop.UDisks2'
const ROOT = '/org/freedesktop/UDisks2'
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
const PROPERTIES = 'org.freedesktop.DBus.Properties'
const BLOCK = 'org.freedesktop.UDisks2.Block'
const DRIVE = 'org.freedesktop.UDisks2.Drive'

export class UdisksUnavailable extends Error {}

/** The Block properties we use; everything else UDisks2 sends is ignored. Values come off the bus unchecked. */
const blockSchema = z.object({
  IdType: z.string().optional(),
  IdUUID: z.string().optional(),
  IdLabel: z.string().optional(),
  Device: z.unknown().optional(),
  PreferredDevice: z.unknown().optional(),
  Drive: z.string().optional(),
})
type BlockProps = z.infer<typeof blockSchema>

const ifaceMapSchema = z.record(z.string(), z.record(z.string(), z.unknown()))

export class UdisksSource implements MemberSource {
  readonly name = 'udisks'
  private blocks = new Map<string, BlockProps>()
  private owner: string | undefined
  private sink: MemberSink | undefined
  private rules: string[] = []
  /** Signals held back while an enumeration is in flight; `boundary` = how many came before its reply. */
  private held: { msgs: DbusMessage[]; serial: number; boundary: number | undefined } | undefined
  private readonly onMessage = (msg: DbusMessage): void => this.receive(msg)

  constructor(private readonly bus: MessageBus) {}

  async start(sink: MemberSink): Promise<void> {
    this.sink = sink
    this.bus.on('message', this.onMessage)
    this.rules = [
      matchRule({ type: 'signal', sender: UDISKS_NAME, interface: OBJECT_MANAGER, path: ROOT }),
      matchRule({ type: 'signal', sender: UDISKS_NAME, interface: PROPERTIES, member: 'PropertiesChanged', path_namespace: ROOT, arg0: BLOCK }),
      // A restarted udisksd gets a new unique name and knows nothing of our past: enumerate again.
      matchRule({ type: 'signal', sender: 'org.freedesktop.DBus', interface: 'org.freedesktop.DBus', member: 'NameOwnerChanged', arg0: UDISKS_NAME }),
    ]
    for (const rule of this.rules) await addMatch(this.bus, rule)
    this.owner = await nameOwner(this.bus, UDISKS_NAME)
    if (!this.owner && (await startService(this.bus, UDISKS_NAME))) this.owner = await nameOwner(this.bus, UDISKS_NAME)
    if (!this.owner) {
      await this.stop()
      throw new UdisksUnavailable(`${UDISKS_NAME} is not on the system bus`)
    }
    await this.enumerate()
  }

  async stop(): Promise<void> {
    this.bus.removeListener('message', this.onMessage)
    await Promise.all(this.rules.map((r) => removeMatch(this.bus, r)))
    this.rules = []
    this.sink = undefined
  }

  private async enumerate(): Promise<void> {
    const { serial, reply } = callWithSerial(this.bus, { destination: UDISKS_NAME, path: ROOT, interface: OBJECT_MANAGER, member: 'GetManagedObjects' })
    const held: NonNullable<typeof this.held> = { msgs: [], serial, boundary: undefined }
    this.held = held
    let objects: Record<string, Record<string, Record<string, unknown>>>
    try {
      const [body] = await reply
      objects = z.record(z.string(), ifaceMapSchema).parse(body ?? {})
    } finally {
      if (this.held === held) this.held = undefined
    }
    this.blocks.clear()
    for (const [path, ifaces] of Object.entries(objects)) this.addInterfaces(path, ifaces, false)
    this.sink?.sync([...this.blocks.entries()].flatMap(([path, b]) => toMember(path, b) ?? []))
    // Signals sent before the reply are already reflected in it; only later ones are news.
    for (const msg of held.msgs.slice(held.boundary ?? held.msgs.length)) this.handleSignal(msg)
  }

  private receive(msg: DbusMessage): void {
    if (this.held) {
      if (this.held.boundary === undefined && isReplyTo(msg, this.held.serial)) this.held.boundary = this.held.msgs.length
      else if (isSignal(msg)) this.held.msgs.push(msg)
      return
    }
    if (isSignal(msg)) this.handleSignal(msg)
  }

  private handleSignal(msg: DbusMessage): void {
    if (msg.interface === 'org.freedesktop.DBus' && msg.member === 'NameOwnerChanged' && msg.sender === 'org.freedesktop.DBus') {
      const [name, , newOwner] = msg.body as [unknown, unknown, unknown]
      if (name !== UDISKS_NAME) return
      this.owner = typeof newOwner === 'string' && newOwner ? newOwner : undefined
      // While udisksd is away the drives are still plugged; only a fresh enumeration may change that.
      if (this.owner) void this.enumerate().catch(() => undefined)
      return
    }
    // Other processes may send look-alike signals; only udisksd's own count.
    if (!this.owner || msg.sender !== this.owner) return
    if (msg.interface === OBJECT_MANAGER && msg.path === ROOT) {
      if (msg.member === 'InterfacesAdded') {
        const [path, ifaces] = msg.body as [unknown, unknown]
        const parsed = ifaceMapSchema.safeParse(ifaces)
        if (typeof path === 'string' && parsed.success) this.addInterfaces(path, parsed.data, true)
      } else if (msg.member === 'InterfacesRemoved') {
        const [path, names] = msg.body as [unknown, unknown]
        if (typeof path === 'string' && Array.isArray(names)) this.removeInterfaces(path, names)
      }
    } else if (msg.interface === PROPERTIES && msg.member === 'PropertiesChanged' && msg.body[0] === BLOCK) {
      const block = this.blocks.get(msg.path)
      const changed = blockSchema.safeParse(unwrap(msg.body[1]))
      if (!block || !changed.success) return
      const merged = { ...block, ...stripUndefined(changed.data) }
      this.blocks.set(msg.path, merged)
      this.report(msg.path, merged)
    }
  }

  private addInterfaces(path: string, ifaces: Record<string, Record<string, unknown>>, report: boolean): void {
    const props = ifaces[BLOCK]
    if (!props) return
    const parsed = blockSchema.safeParse(unwrap(props))
    if (!parsed.success) return
    this.blocks.set(path, parsed.data)
    if (report) this.report(path, parsed.data)
  }

  private removeInterfaces(path: string, names: unknown[]): void {
    if (names.includes(BLOCK) && this.blocks.delete(path)) this.sink?.remove(path)
    // Pulling the cable can remove the Drive before (or instead of) its blocks' own signals.
    if (names.includes(DRIVE)) {
      for (const [p, b] of [...this.blocks]) {
        if (b.Drive === path) {
          this.blocks.delete(p)
          this.sink?.remove(p)
        }
      }
    }
  }

  private report(path: string, block: BlockProps): void {
    const member = toMember(path, block)
    if (member) this.sink?.upsert(member)
    else this.sink?.remove(path)
  }
}

function toMember(path: string, b: BlockProps): ZfsMember | undefined {
  if (b.IdType !== 'zfs_member' || !b.IdUUID || !isUint64(b.IdUUID)) return undefined
  const device = bytesToString(b.Device) || bytesToString(b.PreferredDevice)
  if (!device) return undefined
  return { key: path, device, poolGuid: b.IdUUID, pool: b.IdLabel ?? '' }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
