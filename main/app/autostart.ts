// "Start at login": an XDG autostart entry (~/.config/autostart/<desktop file name>.desktop). A tray app
// that is not running cannot notice the drive, so this is how it is there after a reboot. The entry
// carries the app's desktop file name so the session treats it as the same app as the menu entry.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** electron-builder installs /usr/share/applications/<executableName>.desktop. */
export const DESKTOP_NAME = 'zfs-drive-backup'
/** Started at login: stay in the tray unless there is none (main/app/first-launch.ts). */
export const HIDDEN_FLAG = '--hidden'

export function autostartPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const xdg = env.XDG_CONFIG_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.config'), 'autostart', `${DESKTOP_NAME}.desktop`)
}

/** Desktop Entry Exec quoting: reserved characters in double quotes, with ", `, $ and \ escaped. */
export function execArg(arg: string): string {
  if (/[\0\r\n]/.test(arg)) throw new Error('an Exec argument cannot contain a line break')
  const escaped = arg.replace(/%/g, '%%')
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`
}

export function autostartEntry(command: readonly string[]): string {
  return `[Desktop Entry]
Type=Application
Name=ZFS Drive Backup
Comment=Notices the backup drive when it is plugged in
Exec=${[...command, HIDDEN_FLAG].map(execArg).join(' ')}
Icon=${DESKTOP_NAME}
Terminal=false
X-GNOME-Autostart-enabled=true
X-ZFS-Drive-Backup-Desktop-File=${DESKTOP_NAME}.desktop
`
}

export interface Autostart {
  enabled(): Promise<boolean>
  set(on: boolean): Promise<void>
}

/** `command` starts the app: the packaged executable, or electron plus the app folder from source. */
export function fileAutostart(command: readonly string[], path = autostartPath()): Autostart {
  return {
    async enabled() {
      try {
        // An entry the user (or their desktop's settings) turned off counts as off.
        return !/^(Hidden=true|X-GNOME-Autostart-enabled=false)$/m.test(await readFile(path, 'utf8'))
      } catch {
        return false
      }
    },
    async set(on) {
      if (!on) return rm(path, { force: true })
      await mkdir(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}.tmp`
      await writeFile(tmp, autostartEntry(command), { mode: 0o644 })
      await rename(tmp, path)
    },
  }
}
