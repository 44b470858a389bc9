// Binds the window to main's own service (main/app/coordinator.ts's AppService): the same handlers
// registerIpc gives Electron, and the same two event streams main/index.ts forwards to the window.
// Inside the test VM: `openWindow(bindService(await createCoordinator(realDeps)))`.
import type { AppService } from '../../main/app/coordinator'
import type { Handlers } from '../../main/app/ipc'
import type { InvokeChannel } from '../../preload/contract'
import type { WindowHandlers } from './harness'

export type ServiceLike = Partial<Handlers> & Pick<AppService, 'onChange' | 'onRunEvent'>

export function bindService(service: ServiceLike): WindowHandlers {
  return {
    invoke(channel: InvokeChannel, request: unknown) {
      const handler = service[channel] as ((r: unknown) => Promise<unknown>) | undefined
      if (!handler) throw new Error(`${channel}: no handler`)
      return handler.call(service, request)
    },
    subscribe(push) {
      const offState = service.onChange((state) => push('state:changed', state))
      const offEvents = service.onRunEvent((event) => push('run:event', event))
      return () => {
        offState()
        offEvents()
      }
    },
  }
}
