import { Message, type MessageBus } from 'dbus-next'
import { sessionBus } from 'dbus-next'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Notifier, type NotificationAction } from '../../../main/services/notifications'
import { sleep } from './fake-udisks'
import { startPrivateBus, type PrivateBus } from './private-bus'

const NAME = 'org.freedesktop.Notifications'
const PATH = '/org/freedesktop/Notifications'

interface NotifyCall {
  id: number
  replacesId: number
  summary: string
  body: string
  actions: string[]
}

/** A minimal notification daemon: records Notify calls and lets the test click and close notifications. */
class FakeNotificationServer {
  calls: NotifyCall[] = []
  capabilities = ['actions', 'body']
  private nextId = 1

  constructor(private readonly bus: MessageBus) {}

  static async start(bus: MessageBus): Promise<FakeNotificationServer> {
    const s = new FakeNotificationServer(bus)
    bus.addMethodHandler((msg: Message) => {
      if (msg.path !== PATH || msg.interface !== NAME) return false
      if (msg.member === 'GetCapabilities') bus.send(Message.newMethodReturn(msg, 'as', [s.capabilities]))
      else if (msg.member === 'Notify') {
        const [, replacesId, , summary, body, actions] = msg.body as [string, number, string, string, string, string[]]
        const id = replacesId || s.nextId++
        s.calls.push({ id, replacesId, summary, body, actions })
        bus.send(Message.newMethodReturn(msg, 'u', [id]))
      } else if (msg.member === 'CloseNotification') {
        bus.send(Message.newMethodReturn(msg))
        s.close(msg.body[0] as number, 3)
      } else return false
      return true
    })
    await bus.requestName(NAME, 0)
    return s
  }

  click(id: number, action: string): void {
    this.bus.send(Message.newSignal(PATH, NAME, 'ActionInvoked', 'us', [id, action]))
  }

  close(id: number, reason: number): void {
    this.bus.send(Message.newSignal(PATH, NAME, 'NotificationClosed', 'uu', [id, reason]))
  }

  last(): NotifyCall {
    return this.calls[this.calls.length - 1]!
  }
}

let privateBus: PrivateBus
let serverBus: MessageBus
let server: FakeNotificationServer
let notifier: Notifier
let clock: number
let actions: [NotificationAction, string, string][]

beforeAll(async () => {
  privateBus = await startPrivateBus()
})
afterAll(async () => {
  await privateBus.close()
})
beforeEach(async () => {
  serverBus = await privateBus.connect()
  server = await FakeNotificationServer.start(serverBus)
  clock = Date.parse('2026-03-01T09:00:00Z')
  actions = []
  notifier = await Notifier.start({
    bus: () => sessionBus({ busAddress: privateBus.address }),
    now: () => clock,
    onAction: (a, kind, drive) => actions.push([a, kind, drive]),
  })
})
afterEach(async () => {
  await notifier.stop()
  serverBus.disconnect()
})

/** Lets the notifier's Notify call reach the server before the test acts on it (D-Bus is slow under CI's load). */
async function shown(count: number): Promise<void> {
  for (let i = 0; i < 1000 && server.calls.length < count; i++) await sleep(10)
  expect(server.calls).toHaveLength(count)
}

describe('notifications', () => {
  it('offers "Back up now" on a drive-connected notification, and clicking it calls back', async () => {
    const outcome = notifier.driveConnected('Blue drive')
    await shown(1)
    expect(server.last().summary).toContain('Blue drive')
    expect(server.last().actions).toEqual(['backup', 'Back up now', 'default', 'Open'])
    server.click(server.last().id, 'backup')
    await expect(outcome).resolves.toEqual({ kind: 'action', action: 'backup' })
    expect(actions).toEqual([['backup', 'connected', 'Blue drive']])
  })

  it('falls back to a plain notification that opens the app when the server cannot show buttons', async () => {
    server.capabilities = ['body']
    const outcome = notifier.driveConnected('Blue drive')
    await shown(1)
    expect(server.last().actions).toEqual(['default', 'Open'])
    expect(server.last().body).toMatch(/click/i)
    server.click(server.last().id, 'default')
    await expect(outcome).resolves.toEqual({ kind: 'action', action: 'open' })
  })

  it('reports a dismissed notification as such', async () => {
    const outcome = notifier.backupDone('Blue drive')
    await shown(1)
    expect(server.last().summary).toBe('Backup done — safe to unplug')
    server.close(server.last().id, 2)
    await expect(outcome).resolves.toEqual({ kind: 'closed', reason: 'dismissed' })
  })

  it('does not repeat an identical notification, but shows it again after the drive was unplugged', async () => {
    void notifier.driveConnected('Blue drive')
    await shown(1)
    await expect(notifier.driveConnected('Blue drive')).resolves.toEqual({ kind: 'skipped' })
    void notifier.failed('Blue drive', 'pool is busy')
    await shown(2)
    await expect(notifier.failed('Blue drive', 'pool is busy')).resolves.toEqual({ kind: 'skipped' })
    expect(server.calls).toHaveLength(2)
    await notifier.driveRemoved('Blue drive')
    void notifier.driveConnected('Blue drive')
    await shown(3)
  })

  it('shows one notification when the same one is asked for twice at once', async () => {
    const [a, b] = [notifier.driveConnected('Blue drive'), notifier.driveConnected('Blue drive')]
    await expect(b).resolves.toEqual({ kind: 'skipped' })
    await shown(1)
    server.click(server.last().id, 'backup')
    await expect(a).resolves.toEqual({ kind: 'action', action: 'backup' })
  })

  it('replaces the previous notification of the same kind instead of stacking a new one', async () => {
    const first = notifier.failed('Blue drive', 'pool is busy')
    await shown(1)
    void notifier.failed('Blue drive', 'drive was unplugged during the backup')
    await shown(2)
    expect(server.calls[1]!.replacesId).toBe(server.calls[0]!.id)
    await expect(first).resolves.toEqual({ kind: 'replaced' })
  })

  it('reminds about a stale backup at most once a day per drive', async () => {
    void notifier.stale('Blue drive', 8)
    await shown(1)
    expect(server.last().summary).toBe('No backup for 8 days')
    clock += 6 * 60 * 60 * 1000
    await expect(notifier.stale('Blue drive', 8)).resolves.toEqual({ kind: 'skipped' })
    void notifier.stale('Red drive', 8) // another drive has its own day
    await shown(2)
    clock += 18 * 60 * 60 * 1000
    void notifier.stale('Blue drive', 9)
    await shown(3)
    expect(server.last().summary).toBe('No backup for 9 days')
  })

  it('says "unavailable" instead of failing when no notification server runs', async () => {
    await serverBus.releaseName(NAME)
    const outcome = await notifier.driveConnected('Blue drive')
    expect(outcome.kind).toBe('unavailable')
  })

  it('ignores a click forged by another client', async () => {
    const outcome = notifier.driveConnected('Blue drive')
    await shown(1)
    const intruder = await privateBus.connect()
    intruder.send(Message.newSignal(PATH, NAME, 'ActionInvoked', 'us', [server.last().id, 'backup']))
    await sleep(100)
    expect(actions).toEqual([])
    server.click(server.last().id, 'default')
    await expect(outcome).resolves.toEqual({ kind: 'action', action: 'open' })
  })
})

describe('the same notification either way', () => {
  it('a run of the backup-on-plug service tells the desktop exactly what the tray app says for its own run', async () => {
    // The tray app's run: "done", then a failure with its reason.
    void notifier.backupDone('T7')
    await shown(1)
    void notifier.failed('T7', 'The drive was unplugged mid-transfer.')
    await shown(2)
    // The service: a process of its own that leaves once the server has the notification.
    const service = await Notifier.start({ bus: () => sessionBus({ busAddress: privateBus.address }) })
    try {
      expect(await service.deliverRunResult('T7', null)).toBe(true)
      expect(await service.deliverRunResult('T7', 'The drive was unplugged mid-transfer.')).toBe(true)
    } finally {
      await service.stop()
    }
    const seen = server.calls.map(({ summary, body, actions }) => ({ summary, body, actions }))
    expect(seen[2]).toEqual(seen[0])
    expect(seen[3]).toEqual(seen[1])
    expect(seen[0]!.summary).toBe('Backup done — safe to unplug')
    expect(seen[1]!.body).toContain('The drive was unplugged mid-transfer.')
  })
})
