// "Snapshot before backing up" (per source, off by default): the backup takes a snapshot of its own at the
// start of the run, so "Back up now" sends the state of now rather than sanoid's last (up to an hour old).
//
// The name is `zfs-drive-backup_YYYY-MM-DD_HH:MM:SS` (UTC). sanoid 2.2.0 prunes only snapshots whose names
// start with "autosnap" and end in a period ("…ly": its getsnaps() matches `\@(.*ly)` and /^autosnap/),
// so it never touches these; the app prunes them itself: after a verified backup every older app snapshot
// of the source goes (the drive keeps its incremental base through its bookmark, main/engine/keep-base.ts),
// and the drive's retention then treats them like any snapshot the laptop pruned.
import type { Config, DriveConfig } from '../config/schema'
import { listSnapshots, destroySnapshotsArgv } from '../system/zfs'
import { assertSnapshotName } from '../system/names'
import type { Step } from './pipeline'

export const APP_SNAPSHOT_PREFIX = 'zfs-drive-backup_'
const APP_SNAPSHOT = /^zfs-drive-backup_\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d$/

export function appSnapshotName(at: Date): string {
  return `${APP_SNAPSHOT_PREFIX}${at.toISOString().slice(0, 19).replace('T', '_')}`
}

export const isAppSnapshot = (name: string): boolean => APP_SNAPSHOT.test(name)

export function snapshotArgv(snapshot: string): string[] {
  assertSnapshotName(snapshot)
  return ['zfs', 'snapshot', snapshot]
}

/** The drive's sources that asked for a snapshot before backing up. */
export function snapshotNowSources(config: Config, drive: DriveConfig): string[] {
  return Object.keys(drive.targets).filter((s) => config.sources.find((x) => x.dataset === s)?.snapshotBeforeBackup)
}

/** Every app snapshot but the newest: names in creation order in, the ones to destroy out. */
export function appSnapshotsToPrune(names: readonly string[]): string[] {
  const mine = names.filter(isAppSnapshot)
  return mine.slice(0, -1)
}

interface SnapshotNowState {
  config: Config
  drive: DriveConfig
  dryRun: boolean
  /** Snapshots this run took, by source. */
  takenNow?: Map<string, string>
}

export function snapshotNowStep<S extends SnapshotNowState>(now: () => Date = () => new Date()): Step<S> {
  return {
    id: 'snapshot-now',
    title: 'Take a snapshot now (snapshot before backing up)',
    async run(ctx, s) {
      const sources = snapshotNowSources(s.config, s.drive)
      const name = appSnapshotName(now())
      if (s.dryRun) return { skipped: `dry run: would run ${sources.map((d) => `zfs snapshot ${d}@${name}`).join('; ')}` }
      s.takenNow = new Map()
      for (const source of sources) {
        await ctx.runner.run(snapshotArgv(`${source}@${name}`))
        s.takenNow.set(source, name)
      }
      return { note: `@${name} of ${sources.join(', ')}` }
    },
  }
}

export function pruneAppSnapshotsStep<S extends SnapshotNowState>(): Step<S> {
  return {
    id: 'prune-app-snapshots',
    title: 'Remove older snapshots the app took on the laptop',
    async run(ctx, s) {
      if (s.dryRun) return { skipped: 'dry run: nothing was sent' }
      let removed = 0
      for (const source of snapshotNowSources(s.config, s.drive)) {
        const names = (await listSnapshots(ctx.runner, source)).map((x) => x.snapshot)
        const gone = appSnapshotsToPrune(names)
        for (const argv of gone.length ? destroySnapshotsArgv(source, gone) : []) await ctx.runner.run(argv)
        removed += gone.length
      }
      return removed ? { note: `removed ${removed} (sanoid never prunes them; the newest stays)` } : { skipped: 'only the newest is left' }
    },
  }
}
