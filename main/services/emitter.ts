// A tiny typed event emitter for the services: listeners get the payload type of their event, and `on`
// returns its own unsubscribe so the Electron shell can tear down wiring without keeping references.

export type Listener<T> = (payload: T) => void

export class TypedEmitter<Events extends object> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>()

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as Listener<never>)
    return () => set.delete(listener as Listener<never>)
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    // A throwing listener must not stop the others or corrupt the emitter's own state machine.
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        ;(l as Listener<Events[K]>)(payload)
      } catch (err) {
        console.error(`listener for ${String(event)} threw:`, err)
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear()
  }
}
