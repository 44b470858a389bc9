// The tray icon: one picture per state (assets/tray-<name>.png), a tooltip that says what is going on,
// and the context menu. Electron objects are injected, so this is tested without Electron.
import type { MenuItemConstructorOptions } from 'electron'
import type { AppState } from '../../shared/wire'
import { menuStateFor, trayMenu, type TrayActions } from './tray-menu'

export type TrayIconName = 'idle' | 'connected' | 'running' | 'done' | 'error' | 'stale'

export interface TrayView {
  icon: TrayIconName
  tooltip: string
  /** A short line for the top of the menu (the tooltip may not show on every desktop). */
  status: string
}

const APP = 'ZFS Drive Backup'

function percent(state: AppState): number | null {
  const p = state.run?.progress
  if (!p || !p.totalBytes) return null
  return Math.min(100, Math.floor((p.bytes / p.totalBytes) * 100))
}

/** Running beats error beats "safe to unplug" beats connected beats stale beats idle. */
export function trayView(state: AppState): TrayView {
  const say = (icon: TrayIconName, status: string): TrayView => ({ icon, status, tooltip: `${APP} — ${status}` })
  if (state.run) {
    const r = state.run
    const pct = percent(state)
    const what = r.verb === 'backup' ? `Backing up${r.drive ? ` to ${r.drive}` : ''}` : r.verb === 'eject' ? `Ejecting${r.drive ? ` ${r.drive}` : ''}` : `Running ${r.verb}`
    const step = r.steps[r.stepIndex]
    return say('running', `${what}${pct !== null ? ` — ${pct} %` : ''}${step && r.steps.length ? ` (${step.title})` : r.steps.length === 0 ? ' (waiting for authorization)' : ''}${r.stalled ? ', stalled' : ''}`)
  }
  if (state.lastRun && state.lastRun.outcome === 'failed') {
    return say('error', `${state.lastRun.verb === 'backup' ? 'Backup' : state.lastRun.verb} failed: ${state.lastRun.error?.message ?? 'see the window'}`)
  }
  const off = state.drives.find((d) => d.presence === 'poweredOff')
  if (off) return say('done', `${state.lastRun?.verb === 'backup' && state.lastRun.outcome === 'succeeded' ? 'Backup done — ' : ''}“${off.name}” is safe to unplug`)
  const busy = state.drives.find((d) => d.busyHolders && d.busyHolders.length)
  if (busy) return say('error', `“${busy.name}” is busy: ${busy.busyHolders!.map((h) => h.command).join(', ')}`)
  const present = state.drives.find((d) => d.presence === 'connected' || d.presence === 'imported' || d.presence === 'exported')
  if (present) return say('connected', `“${present.name}” is connected${present.presence === 'exported' ? ' (exported)' : present.presence === 'imported' ? ' (imported)' : ''}`)
  const stale = state.drives.find((d) => d.stale)
  if (stale) return say('stale', stale.lastBackupAt ? `No backup to “${stale.name}” for over ${stale.staleAfterDays} days` : `“${stale.name}” has never been backed up`)
  if (!state.configured) return say('idle', 'not set up yet')
  return say('idle', 'idle')
}

export interface TrayLike {
  setImage(path: string): void
  setToolTip(text: string): void
  setContextMenu(menu: never): void
  on(event: 'click', listener: () => void): unknown
}

export interface TrayControllerDeps {
  tray: TrayLike
  buildMenu: (template: MenuItemConstructorOptions[]) => unknown
  iconPath: (name: TrayIconName) => string
  actions: TrayActions
  scrubAvailable: boolean
}

export class TrayController {
  private lastIcon: TrayIconName | null = null
  private lastTooltip = ''
  private lastMenuKey = ''

  constructor(private readonly deps: TrayControllerDeps) {
    deps.tray.on('click', () => deps.actions.openWindow())
  }

  update(state: AppState): void {
    const view = trayView(state)
    if (view.icon !== this.lastIcon) {
      this.deps.tray.setImage(this.deps.iconPath(view.icon))
      this.lastIcon = view.icon
    }
    if (view.tooltip !== this.lastTooltip) {
      this.deps.tray.setToolTip(view.tooltip)
      this.lastTooltip = view.tooltip
    }
    const menuState = { ...menuStateFor(state, this.deps.scrubAvailable), status: view.status }
    const key = JSON.stringify(menuState)
    // Rebuilding the menu on every progress tick makes some tray hosts flicker: only when it changes.
    if (key !== this.lastMenuKey) {
      this.deps.tray.setContextMenu(this.deps.buildMenu(trayMenu(this.deps.actions, menuState)) as never)
      this.lastMenuKey = key
    }
  }
}
