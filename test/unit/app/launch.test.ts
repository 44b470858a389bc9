import { describe, expect, it } from 'vitest'
import { launchAction, unpackedPath } from '../../../main/app/launch'

describe('launch from the desktop file', () => {
  it('its actions start a backup or an eject; a plain start only opens the app', () => {
    expect(launchAction(['/opt/ZFS Drive Backup/zfs-drive-backup-tray', '--backup-now'])).toBe('backup')
    expect(launchAction(['/opt/ZFS Drive Backup/zfs-drive-backup-tray', '--eject'])).toBe('eject')
    expect(launchAction(['/opt/ZFS Drive Backup/zfs-drive-backup-tray'])).toBeNull()
  })
  it('the notification icon is the unpacked file a notification daemon can read', () => {
    expect(unpackedPath('/opt/ZFS Drive Backup/resources/app.asar/assets/icon.png')).toBe('/opt/ZFS Drive Backup/resources/app.asar.unpacked/assets/icon.png')
    expect(unpackedPath('/home/me/zfs-drive-backup/assets/icon.png')).toBe('/home/me/zfs-drive-backup/assets/icon.png')
  })
})
