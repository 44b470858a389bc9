// The tray's context menu. On Linux a left click may never reach the app (StatusNotifierItem hosts
// differ), so every action is also in this menu.
import type { MenuItemConstructorOptions } from 'electron'

export interface TrayActions {
  backupNow(): void
  eject(): void
  openWindow(): void
  quit(): void
}

export function trayMenu(actions: TrayActions, state: { canBackUp: boolean; canEject: boolean }): MenuItemConstructorOptions[] {
  return [
    { label: 'Back up now', enabled: state.canBackUp, click: () => actions.backupNow() },
    { label: 'Eject drive', enabled: state.canEject, click: () => actions.eject() },
    { type: 'separator' },
    { label: 'Open window', click: () => actions.openWindow() },
    { label: 'Quit', click: () => actions.quit() },
  ]
}
