// Handlers that answer from a table and let a test replace the state: enough to photograph any view.
import type { AppState, EventChannel, EventPayload, InvokeChannel, Response } from '../../preload/contract'
import type { WindowHandlers } from './harness'

export type Table = { [C in InvokeChannel]?: Response<C> }

export class StaticHandlers implements WindowHandlers {
  calls: { channel: InvokeChannel; request: unknown }[] = []
  private push: (<C extends EventChannel>(channel: C, payload: EventPayload<C>) => void) | null = null
  constructor(
    public state: AppState,
    public table: Table = {},
  ) {}

  subscribe(push: <C extends EventChannel>(channel: C, payload: EventPayload<C>) => void) {
    this.push = push
  }

  invoke(channel: InvokeChannel, request: unknown): unknown {
    this.calls.push({ channel, request })
    if (channel === 'state:get') return this.state
    return this.table[channel] ?? { accepted: true }
  }

  setState(state: AppState) {
    this.state = state
    this.push?.('state:changed', state)
  }

  emit<C extends EventChannel>(channel: C, payload: EventPayload<C>) {
    this.push?.(channel, payload)
  }
}
