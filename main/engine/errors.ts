// Failures a user can act on carry a stable code (for the UI and tests) and a sentence saying what to do.
import type { z } from 'zod'
import type { Holder } from '../../shared/events'

export type ErrorCode =
  | 'config-invalid'
  | 'drive-unknown'
  | 'not-root'
  | 'busy-another-run'
  | 'lock-dir-unsafe'
  | 'tool-missing'
  | 'syncoid-too-old'
  | 'syncoid-unsafe-name'
  | 'target-outside-drive'
  | 'source-missing'
  | 'source-unencrypted'
  | 'no-source-snapshots'
  | 'drive-not-connected'
  | 'drive-disconnected'
  | 'drive-not-responding'
  | 'drive-needs-reboot'
  | 'pool-name-clash'
  | 'pool-name-mismatch'
  | 'drive-open-for-restore'
  | 'no-common-snapshot'
  | 'target-diverged'
  | 'target-modified'
  | 'target-unencrypted'
  | 'replication-failed'
  | 'drive-full'
  | 'drive-io-error'
  | 'stream-broken'
  | 'source-changed'
  | 'feature-missing'
  | 'laptop-moved-on'
  | 'discard-mismatch'
  | 'verify-failed'
  | 'pool-busy'
  | 'export-failed'
  | 'power-off-failed'
  | 'command-failed'
  | 'cancelled'
  | LifecycleErrorCode
  | AutoErrorCode

/** Backup on plug (main/engine/auto.ts). */
export type AutoErrorCode = 'auto-not-enabled' | 'auto-refused' | 'auto-off-in-config' | 'user-unknown' | 'auto-nixos'

/** Failures of the drive lifecycle (setup, adopt, scrub, restore, verify-key). */
export type LifecycleErrorCode =
  | 'confirmation-mismatch'
  | 'disk-not-by-id'
  | 'disk-not-found'
  | 'disk-ineligible'
  | 'disk-holds-configured-pool'
  | 'drive-name-taken'
  | 'pool-not-found'
  | 'target-not-replica'
  | 'wrong-passphrase'
  | 'restore-not-open'
  | 'restore-path-invalid'
  | 'restore-pool-unprotected'
  | 'restore-destination-exists'
  | 'snapshot-not-found'
  | 'snapshot-refused'
  | 'scrub-failed'

/** A failed command's own output, for the run's record (never its headline). */
export interface CommandOutput {
  argv: string[]
  exitCode: number | null
  output: string[]
}

export class EngineError extends Error {
  /** What the commands behind this failure printed; the pipeline records it with the failed step. */
  outputs: CommandOutput[] = []

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    readonly holders?: z.infer<typeof Holder>[],
  ) {
    super(message)
  }
}
