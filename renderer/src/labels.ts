import type { DrivePresence, DriveStatus } from '../../preload/contract'

export { verbDoing, verbLabel } from '../../shared/verbs'

export const presenceText: Record<DrivePresence, string> = {
  absent: 'Not connected',
  connected: 'Connected',
  imported: 'In use — pool imported',
  exported: 'Exported — still powered',
  poweredOff: 'Powered off — safe to unplug',
}

/** Why Back up now cannot run, when main gave no reason of its own. */
export function backupBlocked(d: DriveStatus, running: boolean): string | null {
  if (d.canBackUp.ok && !running) return null
  if (d.canBackUp.reason) return d.canBackUp.reason
  if (running) return 'Another run is in progress.'
  if (d.presence === 'absent' || d.presence === 'poweredOff') return 'Connect the drive first.'
  return 'The backup cannot start now.'
}

export function ejectBlocked(d: DriveStatus, running: boolean): string | null {
  if (d.canEject.ok && !running) return null
  if (d.canEject.reason) return d.canEject.reason
  if (running) return 'Wait for the run to finish.'
  if (d.presence === 'absent') return 'The drive is not connected.'
  if (d.presence === 'poweredOff') return 'Already powered off.'
  return 'The drive cannot be ejected now.'
}
