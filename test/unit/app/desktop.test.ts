// First launch you can see, and "Start at login": when the window opens by itself, what the autostart
// entry says, and how a tray host is detected (a private bus with and without a StatusNotifierWatcher).
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { autostartEntry, autostartPath, execArg, fileAutostart } from '../../../main/app/autostart'
import { desktopHandlers } from '../../../main/app/desktop'
import { noTrayHint, openWindowAtStart, windowClosedNotice } from '../../../main/app/first-launch'
import { hasTrayHost, WATCHER_NAME } from '../../../main/services/tray-host'
import { sessionBus } from 'dbus-next'
import { startPrivateBus, type PrivateBus } from '../services/private-bus'

describe('the window at start', () => {
  it.each([
    [{ firstStart: true, trayHost: true, hidden: true }, true],
    [{ firstStart: false, trayHost: false, hidden: true }, true],
    [{ firstStart: false, trayHost: true, hidden: false }, true],
    [{ firstStart: false, trayHost: true, hidden: true }, false],
  ])('%o → opens: %s', (facts, opens) => expect(openWindowAtStart(facts)).toBe(opens))

  it('closing it with no tray says how to come back; on GNOME it names the AppIndicator extension', () => {
    expect(noTrayHint({ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })).toMatch(/applications menu.*AppIndicator and KStatusNotifierItem Support/)
    expect(noTrayHint({ XDG_CURRENT_DESKTOP: 'XFCE' })).not.toMatch(/AppIndicator/)
  })

  it('closing the window: with no tray the app says so once, with the way back; with a tray it says nothing', () => {
    const gnome = { XDG_CURRENT_DESKTOP: 'GNOME' }
    expect(windowClosedNotice({ trayHost: false, alreadyTold: false, env: gnome })).toEqual({ message: 'The window is closed; the app is not.', detail: expect.stringMatching(/applications menu.*AppIndicator/) })
    expect(windowClosedNotice({ trayHost: false, alreadyTold: true, env: gnome })).toBeNull()
    expect(windowClosedNotice({ trayHost: true, alreadyTold: false, env: gnome })).toBeNull()
  })
})

describe('the autostart entry', () => {
  it('is ~/.config/autostart/<the desktop file name>, or under XDG_CONFIG_HOME', () => {
    expect(autostartPath({}, '/home/eds')).toBe('/home/eds/.config/autostart/zfs-drive-backup.desktop')
    expect(autostartPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/eds')).toBe('/cfg/autostart/zfs-drive-backup.desktop')
  })

  it('starts the app hidden in the tray, quoting a path with spaces as the spec says', () => {
    const text = autostartEntry(['/opt/ZFS Drive Backup/zfs-drive-backup'])
    expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\n/)
    expect(text).toContain('Exec="/opt/ZFS Drive Backup/zfs-drive-backup" --hidden\n')
    expect(text).toContain('Icon=zfs-drive-backup\n')
    expect(text).toContain('X-GNOME-Autostart-enabled=true\n')
    expect(execArg('a$b"c')).toBe('"a\\$b\\"c"')
    expect(execArg('50%')).toBe('50%%')
  })

  it('is written when enabled, removed when disabled; one the desktop turned off reads as off', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdb-autostart-')), 'autostart', 'zfs-drive-backup.desktop')
    const a = fileAutostart(['/usr/bin/zfs-drive-backup'], path)
    expect(await a.enabled()).toBe(false)
    await a.set(true)
    expect(readFileSync(path, 'utf8')).toContain('Exec=/usr/bin/zfs-drive-backup --hidden')
    expect(await a.enabled()).toBe(true)
    writeFileSync(path, readFileSync(path, 'utf8').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'))
    expect(await a.enabled()).toBe(false)
    await a.set(false)
    expect(existsSync(path)).toBe(false)
  })

  it('the window learns the setting and the tray situation, and a failed write is a refusal', async () => {
    const h = desktopHandlers({ autostart: { enabled: async () => true, set: async () => { throw new Error('EACCES') } }, trayHost: () => false, env: { XDG_CURRENT_DESKTOP: 'GNOME' } })
    expect(await h['desktop:get'](undefined)).toEqual({ startAtLogin: true, trayHost: false, noTrayHint: expect.stringMatching(/AppIndicator/) })
    expect(await h['autostart:set']({ enabled: false })).toEqual({ accepted: false, reason: expect.stringMatching(/EACCES/) })
  })
})

describe('tray host detection', () => {
  let bus: PrivateBus
  beforeAll(async () => {
    bus = await startPrivateBus()
  })
  afterAll(async () => bus.close())
  const connect = () => sessionBus({ busAddress: bus.address })

  it('no StatusNotifierWatcher on the bus (stock GNOME): no tray host', async () => {
    expect(await hasTrayHost(connect)).toBe(false)
  })

  it('a StatusNotifierWatcher (KDE, XFCE, GNOME with AppIndicator): a tray host', async () => {
    const host = await bus.connect()
    await host.requestName(WATCHER_NAME, 0)
    expect(await hasTrayHost(connect)).toBe(true)
  })

  it('no session bus at all: no tray host', async () => {
    expect(await hasTrayHost(() => sessionBus({ busAddress: 'unix:path=/nonexistent/bus' }))).toBe(false)
  })
})
