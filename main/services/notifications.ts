// Desktop notifications through org.freedesktop.Notifications on the session bus. Electron's own
// Notification cannot show action buttons on Linux, and "Drive connected — [Back up now]" is the app's
// main entry point, so the spec is spoken directly (dbus-next, no native code).
//
// Rules the user notices: a notification is never repeated while nothing changed (same drive, same
// text); a newer one of the same kind replaces the old one in place (replaces_id) instead of stacking;
// "no backup for N days" comes at most once a day per drive. Servers without the `actions` capability
// (some XFCE/Cinnamon setups) get a plain notification whose click (the 'default' action) opens the app.
import { sessionBus } from 'dbus-next'
import { addMatch, callMessage, isSignal, matchRule, openBus, removeMatch, Variant, type DbusMessage, type MessageBus } from './dbus'
import { APP_NAME, contentFor, sameContent, type NotificationContent, type NotificationKind } from './notifications/content'

export type { NotificationKind } from './notifications/content'

const NAME = 'org.freedesktop.Notifications'
const PATH = '/org/freedesktop/Notifications'
const DAY_MS = 24 * 60 * 60 * 1000

/** 'backup' = the "Back up now" button; 'open' = the notification itself was clicked. */
export type NotificationAction = 'backup' | 'open'

export type NotificationOutcome =
  | { kind: 'action'; action: NotificationAction }
  | { kind: 'closed'; reason: 'expired' | 'dismissed' | 'closed' | 'other' }
  /** A newer notification of the same kind took its place. */
  | { kind: 'replaced' }
  /** Not shown: identical to the last one for this drive, or a stale reminder already shown today. */
  | { kind: 'skipped' }
  /** No notification server (or no session bus); the caller may fall back to Electron's Notification. */
  | { kind: 'unavailable'; error: string }

export interface NotifierOptions {
  /** The session bus; tests pass a private one. */
  bus?: () => MessageBus
  now?: () => number
  /** Icon name or file:// path. */
  icon?: string
  /** The .desktop file's basename, so the desktop attributes the notification to the app. */
  desktopEntry?: string
  /** Every action on any notification, e.g. to open the window or start a backup. */
  onAction?: (action: NotificationAction, kind: NotificationKind, driveName: string) => void
}

interface Shown {
  id: number
  kind: NotificationKind
  drive: string
  content: NotificationContent
  /** The server's unique bus name: only its signals may act on this notification. */
  server: string
  open: boolean
  settle?: (o: NotificationOutcome) => void
}

const CLOSE_REASONS = { 1: 'expired', 2: 'dismissed', 3: 'closed' } as const

export class Notifier {
  private bus: MessageBus | undefined
  private unavailable: string | undefined
  private readonly now: () => number
  /** Latest notification per drive+kind (for replaces_id) and per drive (for "nothing changed"). */
  private byKind = new Map<string, Shown>()
  private lastForDrive = new Map<string, { kind: NotificationKind; content: NotificationContent }>()
  private byId = new Map<number, Shown>()
  private staleShownAt = new Map<string, number>()
  private queue: Promise<void> = Promise.resolve()
  private rule = matchRule({ type: 'signal', interface: NAME, path: PATH })
  private readonly onMessage = (msg: DbusMessage): void => this.receive(msg)

  private constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? Date.now
  }

  /** Never throws: without a session bus every notification resolves as 'unavailable'. */
  static async start(opts: NotifierOptions = {}): Promise<Notifier> {
    const n = new Notifier(opts)
    try {
      n.bus = await openBus(opts.bus ?? (() => sessionBus()), 5000)
      n.bus.on('message', n.onMessage)
      // Subscribed before the first Notify, so a fast click cannot be missed.
      await addMatch(n.bus, n.rule)
    } catch (err) {
      n.unavailable = `no session bus: ${String(err)}`
    }
    return n
  }

  /** "Drive X connected — [Back up now]". Resolves with what the user did. */
  driveConnected(driveName: string): Promise<NotificationOutcome> {
    return this.show('connected', driveName, {})
  }

  backupDone(driveName: string): Promise<NotificationOutcome> {
    return this.show('done', driveName, {})
  }

  failed(driveName: string, reason: string): Promise<NotificationOutcome> {
    return this.show('failed', driveName, { reason })
  }

  /**
   * For a process that leaves right after (the headless service): shows a done/failed notification and
   * resolves once the server has it, true if it was shown, without waiting for the user's answer.
   */
  async deliverRunResult(driveName: string, failedReason: string | null): Promise<boolean> {
    const kind = failedReason === null ? 'done' : 'failed'
    const turn = this.queue.then(() => this.deliver(kind, driveName, failedReason === null ? {} : { reason: failedReason }))
    this.queue = turn.then(() => undefined, () => undefined)
    const r = await turn
    return 'answer' in r
  }

  /** At most once a day per drive, whatever `days` says. */
  stale(driveName: string, days: number): Promise<NotificationOutcome> {
    return this.show('stale', driveName, { days })
  }

  /** Quiet, and at most once a day per drive (the coordinator's KeyReminders decides when it is due). */
  keyCheck(driveName: string, days: number | null): Promise<NotificationOutcome> {
    return this.show('key-check', driveName, days === null ? {} : { days })
  }

  /**
   * The drive was unplugged: "connected" and "safe to unplug" no longer apply, so they are withdrawn, and
   * the next plug-in is news again.
   */
  async driveRemoved(driveName: string): Promise<void> {
    this.lastForDrive.delete(driveName)
    for (const kind of ['connected', 'done'] as const) {
      const s = this.byKind.get(key(kind, driveName))
      if (s?.open && this.bus) await this.call('CloseNotification', 'u', [s.id]).catch(() => undefined)
    }
  }

  async stop(): Promise<void> {
    for (const s of this.byId.values()) s.settle?.({ kind: 'closed', reason: 'other' })
    this.byId.clear()
    if (this.bus) {
      this.bus.removeListener('message', this.onMessage)
      await removeMatch(this.bus, this.rule)
      this.bus.disconnect()
      this.bus = undefined
    }
  }

  /**
   * One notification at a time up to the server's reply: two identical calls in quick succession (say, a
   * drive event and a UI refresh) must see each other for the dedupe to hold. Only the wait for the
   * user's answer runs in parallel.
   */
  private show(kind: NotificationKind, drive: string, detail: { reason?: string; days?: number }): Promise<NotificationOutcome> {
    const turn = this.queue.then(() => this.deliver(kind, drive, detail))
    this.queue = turn.then(() => undefined, () => undefined)
    return turn.then((r) => ('answer' in r ? r.answer : r))
  }

  private async deliver(kind: NotificationKind, drive: string, detail: { reason?: string; days?: number }): Promise<NotificationOutcome | { answer: Promise<NotificationOutcome> }> {
    if (!this.bus) return { kind: 'unavailable', error: this.unavailable ?? 'stopped' }
    const lastStale = this.staleShownAt.get(drive)
    if (kind === 'stale' && lastStale !== undefined && this.now() - lastStale < DAY_MS) return { kind: 'skipped' }
    let caps: string[]
    try {
      const [c] = (await this.call('GetCapabilities')).body
      caps = Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string') : []
    } catch (err) {
      return { kind: 'unavailable', error: String(err) }
    }
    const content = contentFor(kind, drive, { ...detail, buttons: caps.includes('actions') })
    const last = this.lastForDrive.get(drive)
    if (last && last.kind === kind && sameContent(last.content, content)) return { kind: 'skipped' }

    const previous = this.byKind.get(key(kind, drive))
    const actions = [...(content.backupButton ? ['backup', 'Back up now'] : []), 'default', 'Open']
    const hints: Record<string, Variant> = { urgency: new Variant('y', content.urgency), category: new Variant('s', content.category) }
    if (this.opts.desktopEntry) hints['desktop-entry'] = new Variant('s', this.opts.desktopEntry)
    let reply: DbusMessage | null
    try {
      reply = await this.call('Notify', 'susssasa{sv}i', [APP_NAME, previous?.open ? previous.id : 0, this.opts.icon ?? '', content.summary, content.body, actions, hints, -1])
    } catch (err) {
      return { kind: 'unavailable', error: String(err) }
    }
    const id = Number(reply?.body[0])
    if (previous?.open) {
      this.byId.delete(previous.id)
      previous.settle?.({ kind: 'replaced' })
    }
    const shown: Shown = { id, kind, drive, content, server: reply?.sender ?? '', open: true }
    this.byKind.set(key(kind, drive), shown)
    this.byId.set(id, shown)
    this.lastForDrive.set(drive, { kind, content })
    if (kind === 'stale') this.staleShownAt.set(drive, this.now())
    return { answer: new Promise((resolve) => (shown.settle = resolve)) }
  }

  private receive(msg: DbusMessage): void {
    if (!isSignal(msg) || msg.interface !== NAME || msg.path !== PATH) return
    const [rawId, arg] = msg.body as [unknown, unknown]
    const shown = this.byId.get(Number(rawId))
    if (!shown || msg.sender !== shown.server) return
    if (msg.member === 'ActionInvoked' && typeof arg === 'string') {
      const action: NotificationAction = arg === 'backup' && shown.content.backupButton ? 'backup' : 'open'
      shown.settle?.({ kind: 'action', action })
      shown.settle = undefined
      this.opts.onAction?.(action, shown.kind, shown.drive)
    } else if (msg.member === 'NotificationClosed') {
      shown.open = false
      this.byId.delete(shown.id)
      const reason = CLOSE_REASONS[Number(arg) as 1 | 2 | 3] ?? 'other'
      shown.settle?.({ kind: 'closed', reason })
      shown.settle = undefined
    }
  }

  private async call(member: string, signature?: string, body?: unknown[]): Promise<DbusMessage> {
    if (!this.bus) throw new Error('notifier stopped')
    const reply = await this.bus.call(callMessage({ destination: NAME, path: PATH, interface: NAME, member, signature, body }))
    if (!reply) throw new Error(`${member}: no reply`)
    return reply
  }
}

function key(kind: NotificationKind, drive: string): string {
  return `${kind}\0${drive}`
}
