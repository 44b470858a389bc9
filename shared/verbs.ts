// What each kind of run is called, in one place: the window's headings and history, the app's "…
// is in progress" reasons and the helper's refusals all name a run the same way.
import type { Verb } from './events'

/** The run as a noun: "Backup", "Drive setup". */
export const verbLabel: Record<Verb, string> = {
  backup: 'Backup',
  eject: 'Eject',
  scrub: 'Scrub',
  setup: 'Drive setup',
  adopt: 'Adopting a drive',
  'restore-open': 'Opening the backup',
  'restore-close': 'Closing the backup',
  'verify-key': 'Key check',
  auto: 'Backup on plug setting',
  'delegation-grant': 'Granting ZFS permissions',
  'delegation-revoke': 'Revoking ZFS permissions',
  'snapshot-create': 'Taking a snapshot',
  'snapshot-destroy': 'Deleting a snapshot',
}

/** What the run is doing, as a heading before the drive's name: "Backing up T7". */
export const verbDoing: Record<Verb, string> = {
  backup: 'Backing up',
  eject: 'Ejecting',
  scrub: 'Scrubbing',
  setup: 'Setting up',
  adopt: 'Adopting',
  'restore-open': 'Opening the backup on',
  'restore-close': 'Closing the backup on',
  'verify-key': 'Checking the key on',
  auto: 'Setting backup on plug for',
  'delegation-grant': 'Granting ZFS permissions',
  'delegation-revoke': 'Revoking ZFS permissions',
  'snapshot-create': 'Taking a snapshot',
  'snapshot-destroy': 'Deleting a snapshot',
}
