// Registers every invoke channel of the contract with validation on both sides of the handler.
// Electron objects are injected so this runs (and is tested) without the Electron binary.
import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { invokeContract, type InvokeChannel, type Request, type Response } from '../../preload/contract'

export type Handlers = { [C in InvokeChannel]: (request: Request<C>) => Promise<Response<C>> }

/** Channels about the desktop around the window (main/app/desktop.ts), not the coordinator's. */
export type DesktopChannel = 'desktop:get' | 'autostart:set'

/** Only our own window's top frame may call in: no iframes, no navigated-away pages. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean

export class IpcRejected extends Error {}

export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, handlers: Handlers, isTrusted: SenderCheck): void {
  for (const channel of Object.keys(invokeContract) as InvokeChannel[]) {
    const spec = invokeContract[channel]
    ipcMain.handle(channel, async (event, raw: unknown) => {
      if (!isTrusted(event)) throw new IpcRejected(`${channel}: call from an untrusted frame`)
      const parsed = spec.request.safeParse(raw)
      if (!parsed.success) throw new IpcRejected(`${channel}: invalid request: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
      const handler = handlers[channel] as (r: unknown) => Promise<unknown>
      return spec.response.parse(await handler(parsed.data))
    })
  }
}

/** A sender is trusted when it is the main frame of the given window and shows our own page. */
export function senderIs(webContentsId: () => number | undefined, pageUrl: () => string): SenderCheck {
  return (event) => {
    const frame = event.senderFrame
    if (!frame || event.sender.id !== webContentsId()) return false
    if (frame.parent !== null) return false
    return samePage(frame.url, pageUrl())
  }
}

/** Both URLs parsed, compared without the fragment: `file:///opt/ZFS%20Drive%20Backup/…` is the page at `/opt/ZFS Drive Backup/…`. */
export function samePage(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)]
    return x.protocol === y.protocol && x.host === y.host && x.pathname === y.pathname && x.search === y.search
  } catch {
    return false
  }
}
