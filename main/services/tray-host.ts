// Is there a tray to put an icon in? Electron's Linux tray is a StatusNotifierItem, shown only when a
// host owns org.kde.StatusNotifierWatcher on the session bus (KDE, XFCE, Cinnamon, GNOME with the
// AppIndicator extension). Without one the icon exists but nobody sees it.
import { sessionBus } from 'dbus-next'
import { nameOwner, openBus, type MessageBus } from './dbus'

export const WATCHER_NAME = 'org.kde.StatusNotifierWatcher'

export async function hasTrayHost(bus?: () => MessageBus): Promise<boolean> {
  let b: MessageBus
  try {
    b = await openBus(bus ?? (() => sessionBus()), 3000)
  } catch {
    return false
  }
  try {
    return (await nameOwner(b, WATCHER_NAME)) !== undefined
  } finally {
    b.disconnect()
  }
}
