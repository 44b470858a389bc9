// Failure reasons of the drive lifecycle (setup, adopt, scrub, restore, verify-key). ErrorCode in
// errors.ts does not list them yet; until it does, each is reported under the closest existing code
// (FALLBACK), and the precise reason stays on the error object (`reason`) and in the message.
import { EngineError, type ErrorCode } from './errors'

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
  | 'restore-destination-exists'
  | 'snapshot-not-found'
  | 'scrub-failed'

export const FALLBACK: Record<LifecycleErrorCode, ErrorCode> = {
  'confirmation-mismatch': 'command-failed',
  'disk-not-by-id': 'command-failed',
  'disk-not-found': 'drive-not-connected',
  'disk-ineligible': 'command-failed',
  'disk-holds-configured-pool': 'command-failed',
  'drive-name-taken': 'config-invalid',
  'pool-not-found': 'drive-not-connected',
  'target-not-replica': 'no-common-snapshot',
  'wrong-passphrase': 'command-failed',
  'restore-not-open': 'command-failed',
  'restore-path-invalid': 'command-failed',
  'restore-destination-exists': 'command-failed',
  'snapshot-not-found': 'command-failed',
  'scrub-failed': 'command-failed',
}

export class LifecycleError extends EngineError {
  constructor(
    readonly reason: LifecycleErrorCode,
    message: string,
    hint?: string,
  ) {
    super(FALLBACK[reason], message, hint)
  }
}
