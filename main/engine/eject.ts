// Safe eject: export without force (naming whoever keeps the pool busy), then power the disk off.
import type { DriveRunOptions } from './pipeline'
import type { DriveConfig } from '../config/schema'
import { pickDrive } from './preflight'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step } from './pipeline'
import { exportDrivePool, importedPool, poolCondition, powerOffDrive, takeBackIfPulled } from './pool'
import { defaultVerifiedStatePath } from './verified-state'

interface EjectState {
  drive: DriveConfig
  lock: Lock | null
  lockPath?: string
  powerOff: boolean
  /** The disk the pool was on, read before the export: the one powered off. */
  disk: string | null
}

const steps: Step<EjectState>[] = [
  {
    id: 'export',
    title: 'Export the pool',
    async run(ctx, s) {
      s.lock = acquireLock(s.lockPath, `eject of ${s.drive.name}`)
      const entry = await importedPool(ctx, s.drive)
      if (!entry) return { skipped: 'not imported' }
      // A pool a pulled backup left imported is taken back first: an export of it as it is could freeze ZFS.
      const { condition } = await takeBackIfPulled(ctx, s.drive, entry, await poolCondition(ctx, entry.name), defaultVerifiedStatePath())
      s.disk = condition.disk
      await exportDrivePool(ctx, s.drive, { entry, condition })
      return { note: `exported ${entry.name}` }
    },
  },
  {
    id: 'power-off',
    title: 'Power off the drive',
    async run(ctx, s) {
      if (!s.powerOff) return { skipped: 'power-off not requested' }
      await powerOffDrive(ctx, s.drive, s.disk)
      return { note: 'safe to unplug' }
    },
  },
]

export interface EjectOptions extends DriveRunOptions {
  powerOff?: boolean
}

export async function eject(o: EjectOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state: EjectState = { drive, lock: null, disk: null, powerOff: o.powerOff ?? true, ...(o.lockPath ? { lockPath: o.lockPath } : {}) }
  try {
    return await runPipeline({ verb: 'eject', drive: drive.name, steps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}
