// A minimal QMP client (QEMU Machine Protocol): JSON lines over a socket. The host uses the unix socket;
// tests inside the guest reach the same VM's TCP endpoint at 10.0.2.2 to plug and unplug drives.
import { createConnection, type Socket } from 'node:net'

export interface QmpEvent {
  event: string
  data?: Record<string, unknown>
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void }

export class Qmp {
  private buffer = ''
  private pending: Pending[] = []
  private waiters = new Set<{ match: (e: QmpEvent) => boolean; resolve: (e: QmpEvent) => void }>()

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.onData(chunk))
    socket.on('close', () => this.failAll(new Error('QMP connection closed')))
    socket.on('error', (err) => this.failAll(err))
  }

  static async connect(target: string | { host: string; port: number }): Promise<Qmp> {
    const socket = typeof target === 'string' ? createConnection(target) : createConnection(target.port, target.host)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const qmp = new Qmp(socket)
    qmp.pending.push({ resolve: () => undefined, reject: () => undefined }) // the greeting
    await qmp.execute('qmp_capabilities')
    return qmp
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject })
      this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n')
    })
  }

  /** Register before triggering the event, or it may be missed. */
  waitForEvent(match: (e: QmpEvent) => boolean, timeoutMs = 30_000): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: QmpEvent) => {
          clearTimeout(timer)
          resolve(e)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error('timed out waiting for a QMP event'))
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  close(): void {
    this.socket.end()
  }

  private onData(chunk: string): void {
    this.buffer += chunk
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim()
      this.buffer = this.buffer.slice(nl + 1)
      if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>)
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if (typeof msg.event === 'string') {
      for (const w of [...this.waiters]) {
        if (w.match(msg as unknown as QmpEvent)) {
          this.waiters.delete(w)
          w.resolve(msg as unknown as QmpEvent)
        }
      }
      return
    }
    const next = this.pending.shift()
    if (!next) return
    if ('error' in msg) {
      const err = msg.error as { class?: string; desc?: string }
      next.reject(new Error(`QMP ${err.class ?? 'error'}: ${err.desc ?? JSON.stringify(err)}`))
    } else next.resolve(msg.return ?? msg.QMP)
  }

  private failAll(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err)
  }
}
