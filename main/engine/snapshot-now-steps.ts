// Where "snapshot before backing up" goes in a backup: its snapshot right after the preflight (root and the
// run lock are settled, nothing imported yet), its pruning after the bookmark moved to the newest
// snapshot. Only when a source of the drive asked for it: otherwise the backup is the guide's, step for step.
import type { Config, DriveConfig } from '../config/schema'
import { pruneAppSnapshotsStep, snapshotNowSources, snapshotNowStep } from './app-snapshots'
import type { Step } from './pipeline'

export function withSnapshotNow<S extends { config: Config; drive: DriveConfig; dryRun: boolean }>(steps: Step<S>[], config: Config, drive: DriveConfig): Step<S>[] {
  if (snapshotNowSources(config, drive).length === 0) return steps
  return steps.flatMap((step) =>
    step.id === 'preflight' ? [step, snapshotNowStep<S>()]
    : step.id === 'keep-base' ? [step, pruneAppSnapshotsStep<S>()]
    : [step])
}
