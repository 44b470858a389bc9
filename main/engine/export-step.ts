// The cleanup every pipeline on a drive ends with: export the pool it imported, even after a failure or
// a cancel, and release the run's lock. Each pipeline says only when to leave the pool as it found it.
import type { DriveConfig } from '../config/schema'
import { releasingLock, type Lock } from './lock'
import type { Step, StepContext } from './pipeline'
import { exportDrivePool } from './pool'

export interface ExportStepOptions<S> {
  /** Why the pool stays imported this time (it was imported before, nothing was touched…), or null. */
  skip?: (s: S) => string | null
  /** The drive whose pool to export; null when there is none (nothing was created or imported). */
  drive: (s: S, ctx: StepContext) => DriveConfig | null | Promise<DriveConfig | null>
  /** The name this run imported the pool under, when it did (saves listing every pool to find it). */
  importedAs?: (s: S) => string | null
}

export function exportStep<S extends { lock: Lock | null }>(o: ExportStepOptions<S>): Step<S> {
  return {
    id: 'export',
    title: 'Export the pool',
    always: true,
    async run(ctx, s) {
      return releasingLock(s, async () => {
        const why = o.skip?.(s)
        if (why) return { skipped: why }
        const drive = await o.drive(s, ctx)
        // Found by GUID and exported under the name the pool has now (see pool.ts).
        const name = o.importedAs?.(s)
        if (!drive || !(await exportDrivePool(ctx, drive, name ? { name } : undefined))) return { skipped: 'not imported' }
      })
    },
  }
}

/** Pipelines that leave a pool imported before them as they found it. */
export const IMPORTED_BEFORE = 'it was imported before; left as it was'
