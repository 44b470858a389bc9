import type { DrivePresence, DriveStatus, Verb } from '../../preload/contract'

export const verbLabel: Record<Verb, string> = {
  backup: 'Backup',
  eject: 'Eject',
  scrub: 'Scrub',
  setup: 'Drive setup',
  adopt: 'Adopting the drive',
  'restore-open': 'Opening the backup',
  'restore-close': 'Closing the backup',
  'verify-key': 'Key check',
}

/** What the run is doing, as a heading: "Backing up T7". */
export const verbDoing: Record<Verb, string> = {
  backup: 'Backing up',
  eject: 'Ejecting',
  scrub: 'Scrubbing',
  setup: 'Setting up',
  adopt: 'Adopting',
  'restore-open': 'Opening the backup on',
  'restore-close': 'Closing the backup on',
  'verify-key': 'Checking the key on',
}

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
