// The few D-Bus operations the services need, on dbus-next's low-level API (Message + bus.call). The
// proxy-object API is avoided on purpose: it introspects first and adds match rules in the background
// (un-awaited), so "subscribe, then enumerate" could not be guaranteed with it.
import { Message, MessageType, Variant, type MessageBus } from 'dbus-next'

type DbusMessage = Message

export { Variant }
export type { MessageBus, DbusMessage }

export const BUS_NAME = 'org.freedesktop.DBus'
const BUS_PATH = '/org/freedesktop/DBus'

export interface Call {
  destination: string
  path: string
  interface: string
  member: string
  signature?: string
  body?: unknown[]
}

/** Builds the method-call message; exposed so a caller can learn its serial (see `callWithSerial`). */
export function callMessage(c: Call): DbusMessage {
  return new Message({ type: MessageType.METHOD_CALL, ...c, body: c.body ?? [] })
}

export async function call(bus: MessageBus, c: Call): Promise<unknown[]> {
  const reply = await bus.call(callMessage(c))
  return reply?.body ?? []
}

/**
 * Starts a call and returns its serial before any reply can arrive, so a message listener can tell which
 * signals came before the reply (already reflected in it) and which came after.
 */
export function callWithSerial(bus: MessageBus, c: Call): { serial: number; reply: Promise<unknown[]> } {
  const msg = callMessage(c)
  const reply = bus.call(msg).then((r) => r?.body ?? [])
  return { serial: msg.serial ?? -1, reply }
}

export async function addMatch(bus: MessageBus, rule: string): Promise<void> {
  await call(bus, { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member: 'AddMatch', signature: 's', body: [rule] })
}

export async function removeMatch(bus: MessageBus, rule: string): Promise<void> {
  await call(bus, { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member: 'RemoveMatch', signature: 's', body: [rule] }).catch(() => undefined)
}

/** The unique name (":1.42") owning a well-known name, or undefined when nobody owns it. */
export async function nameOwner(bus: MessageBus, name: string): Promise<string | undefined> {
  try {
    const [owner] = await call(bus, { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member: 'GetNameOwner', signature: 's', body: [name] })
    return typeof owner === 'string' ? owner : undefined
  } catch {
    return undefined
  }
}

/** Asks the bus to start a D-Bus-activatable service (udisksd is started on first use, not at boot). */
export async function startService(bus: MessageBus, name: string): Promise<boolean> {
  try {
    const [names] = await call(bus, { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member: 'ListActivatableNames' })
    if (!Array.isArray(names) || !names.includes(name)) return false
    await call(bus, { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member: 'StartServiceByName', signature: 'su', body: [name, 0] })
    return true
  } catch {
    return false
  }
}

export function matchRule(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join(',')
}

export function isSignal(msg: DbusMessage): boolean {
  return msg.type === MessageType.SIGNAL
}

export function isReplyTo(msg: DbusMessage, serial: number): boolean {
  return (msg.type === MessageType.METHOD_RETURN || msg.type === MessageType.ERROR) && Number(msg.replySerial) === serial
}

/**
 * Opens a bus and waits until it is usable. dbus-next reports a missing socket only as an 'error' event
 * (an unhandled one would crash the app), so one is always attached; later errors go to `onError`.
 */
export async function openBus(factory: () => MessageBus, timeoutMs = 5000, onError: (err: unknown) => void = () => undefined): Promise<MessageBus> {
  let bus: MessageBus
  try {
    bus = factory()
  } catch (err) {
    throw new Error(`cannot open D-Bus: ${String(err)}`)
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`D-Bus did not answer within ${timeoutMs} ms`)), timeoutMs)
    const done = (): void => {
      clearTimeout(timer)
      bus.removeListener('connect', ok)
      bus.removeListener('error', fail)
    }
    const ok = (): void => {
      done()
      resolve()
    }
    const fail = (err: unknown): void => {
      done()
      bus.on('error', () => undefined)
      try {
        bus.disconnect()
      } catch {
        // already closed
      }
      reject(err instanceof Error ? err : new Error(String(err)))
    }
    bus.on('connect', ok)
    bus.on('error', fail)
  })
  bus.on('error', onError)
  return bus
}

/** A `v` value as plain JS: dbus-next hands variants through as objects with `.value`. */
export function unwrap(props: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (props && typeof props === 'object') {
    for (const [k, v] of Object.entries(props)) out[k] = v instanceof Variant ? v.value : v
  }
  return out
}

/** `ay` device paths ("/dev/sda1\0") as a string. */
export function bytesToString(value: unknown): string | undefined {
  if (Buffer.isBuffer(value)) return value.toString('utf8').replace(/\0+$/, '')
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) return Buffer.from(value).toString('utf8').replace(/\0+$/, '')
  return undefined
}
