// The tray window. Security settings live in one place so a test can assert them.
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron'
import { pathToFileURL } from 'node:url'

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 440,
    height: 620,
    show: false,
    title: 'ZFS Drive Backup',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  }
}

/** The window never opens other windows and never navigates away from the bundled page. */
export function lockDown(contents: Pick<WebContents, 'setWindowOpenHandler' | 'on'>): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-navigate', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

export type WindowFactory = (options: BrowserWindowConstructorOptions) => BrowserWindow

/**
 * The page the window loads: the bundled file, as a file: URL built by pathToFileURL (so a path with a
 * space is encoded the way the frame reports it). ELECTRON_RENDERER_URL (electron-vite's dev server) is
 * honoured only from source: a packaged app never loads a page named by its environment.
 */
export function pageUrl(o: { packaged: boolean; env: NodeJS.ProcessEnv; indexHtml: string }): string {
  const dev = o.env.ELECTRON_RENDERER_URL
  if (!o.packaged && dev && /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(dev)) return dev
  return pathToFileURL(o.indexHtml).href
}

/** The page never gets a permission (camera, notifications, geolocation …): it needs none. */
export function denyPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}
