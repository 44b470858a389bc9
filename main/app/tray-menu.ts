// The tray's context menu. On Linux a left click may never reach the app (StatusNotifierItem hosts
// differ), so every action is also in this menu. Which items are enabled follows AppState.
import type { MenuItemConstructorOptions } from 'electron'
import type { AppState } from '../../shared/wire'

export interface TrayActions {
  backupNow(): void
  eject(): void
  scrub(): void
  openWindow(): void
  quit(): void
}

export interface TrayMenuState {
  canBackUp: boolean
  canEject: boolean
  canScrub: boolean
  /** Shown as a disabled first line, e.g. "Backing up to T7 — 42 %". */
  status?: string
}

/** What the menu offers for a state: any drive that can be backed up / ejected; scrub needs a plugged-in drive. */
export function menuStateFor(state: AppState, scrubAvailable: boolean): TrayMenuState {
  const present = state.drives.some((d) => d.presence === 'connected' || d.presence === 'imported' || d.presence === 'exported')
  return {
    canBackUp: state.drives.some((d) => d.canBackUp.ok),
    canEject: state.drives.some((d) => d.canEject.ok),
    canScrub: scrubAvailable && state.run === null && present,
  }
}

export function trayMenu(actions: TrayActions, state: TrayMenuState): MenuItemConstructorOptions[] {
  return [
    ...(state.status ? [{ label: state.status, enabled: false }, { type: 'separator' as const }] : []),
    { label: 'Back up now', enabled: state.canBackUp, click: () => actions.backupNow() },
    { label: 'Eject drive', enabled: state.canEject, click: () => actions.eject() },
    { label: 'Scrub drive', enabled: state.canScrub, click: () => actions.scrub() },
    { type: 'separator' },
    { label: 'Open window', click: () => actions.openWindow() },
    { label: 'Quit', click: () => actions.quit() },
  ]
}
