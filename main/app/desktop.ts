// The window's desktop settings: "Start at login" and the no-tray hint.
import type { Autostart } from './autostart'
import { noTrayHint } from './first-launch'
import type { DesktopChannel, Handlers } from './ipc'

export interface DesktopDeps {
  autostart: Autostart
  trayHost: () => boolean
  env?: NodeJS.ProcessEnv
  log?: (message: string) => void
}

export function desktopHandlers(d: DesktopDeps): Pick<Handlers, DesktopChannel> {
  return {
    'desktop:get': async () => ({ startAtLogin: await d.autostart.enabled(), trayHost: d.trayHost(), noTrayHint: d.trayHost() ? null : noTrayHint(d.env) }),
    'autostart:set': async ({ enabled }) => {
      try {
        await d.autostart.set(enabled)
        return { accepted: true }
      } catch (err) {
        d.log?.(`autostart: ${String(err)}`)
        return { accepted: false, reason: `Could not ${enabled ? 'add' : 'remove'} the autostart entry: ${err instanceof Error ? err.message : String(err)}` }
      }
    },
  }
}
