// Electron entry: wiring only. Everything with behaviour lives in Electron-free modules it injects into.
import { join } from 'node:path'
import { app, BrowserWindow, ipcMain, Menu, nativeImage, Tray } from 'electron'
import { registerIpc, senderIs } from './app/ipc'
import { createAppService } from './app/service'
import { trayMenu } from './app/tray-menu'
import { lockDown, windowOptions } from './app/window'

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let win: BrowserWindow | null = null
  let tray: Tray | null = null
  const service = createAppService()
  const pageUrl = process.env.ELECTRON_RENDERER_URL ?? `file://${join(__dirname, '../renderer/index.html')}`

  const openWindow = (): void => {
    if (!win) {
      win = new BrowserWindow(windowOptions(join(__dirname, '../preload/index.js')))
      lockDown(win.webContents)
      win.on('closed', () => (win = null))
      void win.loadURL(pageUrl)
      win.once('ready-to-show', () => win?.show())
    } else {
      win.show()
      win.focus()
    }
  }

  app.on('second-instance', openWindow)
  // A tray app keeps running with its window closed.
  app.on('window-all-closed', () => undefined)

  void app.whenReady().then(() => {
    registerIpc(ipcMain, service, senderIs(() => win?.webContents.id, () => pageUrl))
    service.onChange((state) => win?.webContents.send('state:changed', state))
    tray = new Tray(nativeImage.createFromPath(join(__dirname, '../../assets/tray-idle.png')))
    tray.setToolTip('ZFS Drive Backup')
    const actions = {
      backupNow: () => openWindow(),
      eject: () => openWindow(),
      openWindow,
      quit: () => app.quit(),
    }
    tray.setContextMenu(Menu.buildFromTemplate(trayMenu(actions, { canBackUp: false, canEject: false })))
    tray.on('click', openWindow)
  })
}
