// `status` exit codes for monitoring (like sanoid's --monitor-snapshots, but per drive): 0 when every
// drive had a backup within staleAfterDays, 5 when one is overdue, 6 when one was never backed up (or
// no drive is configured: nothing is protected). Never beats overdue.
import { EXIT } from './command'

export function statusExitCode(drives: readonly { stale: boolean; lastBackupAt: string | null }[]): number {
  if (drives.length === 0 || drives.some((d) => d.lastBackupAt === null)) return EXIT.neverBackedUp
  if (drives.some((d) => d.stale)) return EXIT.overdue
  return EXIT.ok
}
