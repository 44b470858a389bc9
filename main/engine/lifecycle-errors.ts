// Failures of the drive lifecycle (setup, adopt, scrub, restore, verify-key): an EngineError whose code
// is one of LifecycleErrorCode; `reason` repeats it for callers that narrow on the lifecycle codes.
import { EngineError, type LifecycleErrorCode } from './errors'

export type { LifecycleErrorCode }

export class LifecycleError extends EngineError {
  constructor(
    readonly reason: LifecycleErrorCode,
    message: string,
    hint?: string,
  ) {
    super(reason, message, hint)
  }
}
