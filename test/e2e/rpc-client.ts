// The host's end of guest-app.ts's RPC: WindowHandlers for openWindow() whose invoke and events are the
// real coordinator's inside the test VM, through QEMU's forwarded port.
import type { EventChannel, EventPayload, InvokeChannel } from '../../preload/contract'
import type { WindowHandlers } from './harness'

export interface RpcEvent {
  /** ms since the client was made. */
  t: number
  channel: EventChannel
  payload: unknown
}

export interface RpcHandlers extends WindowHandlers {
  /** Every event received, in order, for the test to look at and save. */
  readonly events: RpcEvent[]
  /** Errors of the event stream (it should have none). */
  readonly streamErrors: string[]
  /** A test-only route of the guest server (/test/...). */
  call<T>(method: 'GET' | 'POST', path: string): Promise<T>
}

export function bindRpc(baseUrl: string): RpcHandlers {
  const t0 = Date.now()
  const events: RpcEvent[] = []
  const streamErrors: string[] = []

  async function call<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      ...(payload !== undefined ? { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } } : {}),
    })
    const answer = (await res.json()) as { error?: string } & T
    if (!res.ok) throw new Error(answer.error ?? `${method} ${path}: HTTP ${res.status}`)
    return answer
  }

  return {
    events,
    streamErrors,
    call: (method, path) => call(method, path),
    async invoke(channel: InvokeChannel, request: unknown) {
      return (await call<{ value: unknown }>('POST', '/invoke', { channel, request })).value
    },
    subscribe(push) {
      const abort = new AbortController()
      void (async () => {
        const res = await fetch(new URL('/events', baseUrl), { signal: abort.signal })
        if (!res.ok || !res.body) throw new Error(`GET /events: HTTP ${res.status}`)
        const decoder = new TextDecoder()
        let buf = ''
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true })
          let end: number
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, end)
            buf = buf.slice(end + 2)
            const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
            if (!data) continue
            const { channel, payload } = JSON.parse(data) as { channel: EventChannel; payload: unknown }
            events.push({ t: Date.now() - t0, channel, payload })
            push(channel, payload as EventPayload<typeof channel>)
          }
        }
      })().catch((err: unknown) => {
        if (!abort.signal.aborted) streamErrors.push(String(err))
      })
      return () => abort.abort()
    },
  }
}
