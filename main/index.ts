// Electron entry: wiring only. Everything with behaviour lives in Electron-free modules it injects into:
// the coordinator (state, runs, notifications), the launcher (pkexec + helper), the tray controller.
import { join } from 'node:path'
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, Tray } from 'electron'
import { defaultConfigPath } from './config/load'
import { availableVerbs } from './helper/dispatch'
import { defaultHistoryPath } from './history/store'
import { DriveWatcher } from './services/drive-watcher'
import { Notifier } from './services/notifications'
import { ProcessRunner } from './system/runner'
import { createCoordinator } from './app/coordinator'
import { registerIpc, senderIs } from './app/ipc'
import { launchAction, unpackedPath } from './app/launch'
import { helperCommand, installedHelper, PkexecLauncher } from './app/privileged'
import { TrayController } from './app/tray'
import { denyPermissions, lockDown, pageUrl, windowOptions } from './app/window'
import { fileAutostart, HIDDEN_FLAG } from './app/autostart'
import { desktopHandlers } from './app/desktop'
import { openWindowAtStart, windowClosedNotice } from './app/first-launch'
import { hasTrayHost } from './services/tray-host'
import { feedPath, followFeed } from './services/headless-feed'

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let win: BrowserWindow | null = null
  let trayHost = true
  let toldHowToReturn = false
  const assets = join(__dirname, '../../assets')
  const page = pageUrl({ packaged: app.isPackaged, env: process.env, indexHtml: join(__dirname, '../renderer/index.html') })

  const openWindow = (): void => {
    if (!win) {
      win = new BrowserWindow(windowOptions(join(__dirname, '../preload/index.js')))
      lockDown(win.webContents)
      win.on('closed', () => {
        win = null
        // No tray icon to click: say once how to get the window back.
        const notice = windowClosedNotice({ trayHost, alreadyTold: toldHowToReturn })
        if (notice) {
          toldHowToReturn = true
          void dialog.showMessageBox({ type: 'info', title: 'ZFS Drive Backup', ...notice })
        }
      })
      void win.loadURL(page)
      win.once('ready-to-show', () => win?.show())
    } else {
      win.show()
      win.focus()
    }
  }

  // Set once the coordinator exists: the .desktop actions' flags, from this launch or a second one.
  let onLaunch: (argv: readonly string[]) => void = () => undefined
  app.on('second-instance', (_event, argv) => onLaunch(argv))
  // A tray app keeps running with its window closed.
  app.on('window-all-closed', () => undefined)

  void app.whenReady().then(async () => {
    denyPermissions(session.defaultSession)
    const notifier = await Notifier.start({ icon: unpackedPath(join(assets, 'icon.png')), desktopEntry: 'zfs-drive-backup' })
    const coordinator = createCoordinator({
      configPath: defaultConfigPath(),
      historyPath: defaultHistoryPath(),
      launcher: new PkexecLauncher({ command: helperCommand({ installedHelper: installedHelper(app.getAppPath()), env: process.env, execPath: process.execPath, outMainDir: __dirname }) }),
      runner: new ProcessRunner(),
      availableVerbs: availableVerbs(),
      startWatcher: (drives, listen) => DriveWatcher.start({ drives }, listen),
      notifier,
      openWindow,
      followHeadless: (onEvent) => followFeed(feedPath(process.getuid?.() ?? 0), onEvent),
      chooseFolder: async () => {
        const r = await dialog.showOpenDialog({ properties: ['openDirectory', 'createDirectory'] })
        return r.canceled ? null : (r.filePaths[0] ?? null)
      },
    })

    const tray = new TrayController({
      tray: new Tray(nativeImage.createFromPath(join(assets, 'tray-idle.png'))),
      buildMenu: (template) => Menu.buildFromTemplate(template),
      iconPath: (name) => join(assets, `tray-${name}.png`),
      scrubAvailable: availableVerbs().includes('scrub'),
      actions: {
        backupNow: () => void coordinator.backupNow().then((r) => !r.accepted && openWindow()),
        eject: () => void coordinator.ejectNow().then((r) => !r.accepted && openWindow()),
        scrub: () => void coordinator.scrubNow().then((r) => !r.accepted && openWindow()),
        openWindow,
        quit: () => app.quit(),
      },
    })

    trayHost = await hasTrayHost()
    // From source the app is electron plus this folder; packaged, the executable alone.
    const autostart = fileAutostart(app.isPackaged ? [process.execPath] : [process.execPath, app.getAppPath()])
    registerIpc(ipcMain, { ...coordinator, ...desktopHandlers({ autostart, trayHost: () => trayHost }) }, senderIs(() => win?.webContents.id, () => page))
    // Both streams are rate-limited by the coordinator (progress ≤ 10/s).
    coordinator.onChange((state) => {
      win?.webContents.send('state:changed', state)
      tray.update(state)
    })
    coordinator.onRunEvent((event) => win?.webContents.send('run:event', event))
    // Quitting mid-run closes the helper's stdin: it cancels and exports the pool before it exits.
    app.on('before-quit', () => void coordinator.dispose().then(() => notifier.stop()))
    tray.update(coordinator.state())
    await coordinator.start()
    onLaunch = (argv) => {
      const action = launchAction(argv)
      if (action === 'backup') void coordinator.backupNow().then((r) => !r.accepted && openWindow())
      else if (action === 'eject') void coordinator.ejectNow().then((r) => !r.accepted && openWindow())
      else openWindow()
    }
    if (launchAction(process.argv)) onLaunch(process.argv)
    else if (openWindowAtStart({ firstStart: !coordinator.state().configured, trayHost, hidden: process.argv.includes(HIDDEN_FLAG) })) openWindow()
  })
}
