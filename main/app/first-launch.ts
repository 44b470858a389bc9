// A first launch you can see. A tray icon is invisible on stock GNOME (no StatusNotifierItem host
// without the AppIndicator extension), so the window opens whenever the icon may not be seen, and
// closing it there says how to get back.

export interface StartFacts {
  /** No drive is set up yet (first start, or setup never finished). */
  firstStart: boolean
  /** A StatusNotifierItem host owns org.kde.StatusNotifierWatcher on the session bus. */
  trayHost: boolean
  /** Started by the autostart entry at login (--hidden). */
  hidden: boolean
}

/** Open the window at start unless the app was started at login and its tray icon is there to click. */
export function openWindowAtStart(f: StartFacts): boolean {
  return f.firstStart || !f.trayHost || !f.hidden
}

export function isGnome(env: NodeJS.ProcessEnv = process.env): boolean {
  return /(^|:)GNOME(:|$)/i.test(env.XDG_CURRENT_DESKTOP ?? '')
}

/** What to say when the window closes and there is no tray icon to bring it back. */
export function noTrayHint(env: NodeJS.ProcessEnv = process.env): string {
  const gnome = isGnome(env)
    ? ' On GNOME, the “AppIndicator and KStatusNotifierItem Support” extension shows its icon in the top bar.'
    : ' A desktop with a system tray (KDE, XFCE, Cinnamon) shows its icon there.'
  return `ZFS Drive Backup keeps running and still notices the drive. To open the window again, start “ZFS Drive Backup” from your applications menu.${gnome}`
}

/**
 * Closing the window: with no tray icon to bring it back, the app says how to (once per run of the app,
 * so closing it again is not nagged); with a tray, nothing. Null: say nothing.
 */
export function windowClosedNotice(o: { trayHost: boolean; alreadyTold: boolean; env?: NodeJS.ProcessEnv }): { message: string; detail: string } | null {
  if (o.trayHost || o.alreadyTold) return null
  return { message: 'The window is closed; the app is not.', detail: noTrayHint(o.env) }
}
