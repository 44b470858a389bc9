// The tray window. Security settings live in one place so a test can assert them.
import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron'

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
