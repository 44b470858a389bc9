// Where a drive stands: present or not, its last backup and scrub, and how far behind the laptop each
// of its targets is. One answer for the CLI's `status` and the tray's drive card: the shells gather the
// facts (the app from its watcher and caches, the CLI by asking zpool/zfs once) and this folds them.
// Read without root and without importing anything.
import { existsSync } from 'node:fs'
import type { Config, DriveConfig } from '../config/schema'
import type { RunRecord } from '../../shared/run-record'
import type { Runner } from '../system/runner'
import { datasetExists, getManyProperties, listForReplication, listSnapshots, type BookmarkInfo, type SnapshotInfo } from '../system/zfs'
import { nextBase, type NextBase } from './next-base'
import { listPools } from '../system/zpool'
import { lastScrub, scrubDue, type LastScrub } from './scrub'
import { keyCheckStatus, type KeyCheckStatus } from './key-check'

const DAY_MS = 86400_000

export interface TargetStatus {
  source: string
  target: string
  sourceNewest: string | null
  driveNewest: string | null
  /** Source snapshots newer than the drive's newest; null when unknown (the drive was never read). */
  missingOnDrive: number | null
  /** 'live' when read from the imported pool, 'history' when from the last verified backup. */
  from: 'live' | 'history' | 'unknown'
  /** What the next backup starts from (known when the laptop's bookmarks were read). */
  nextBase?: NextBase
  /** About what a full send of the source would be (its data and snapshots on disk). */
  fullSendBytes?: number | null
}

export interface DriveStatusReport {
  drive: string
  pool: string
  lastBackupAt: string | null
  /** Due for a backup: never backed up, or not within the configured staleAfterDays. */
  stale: boolean
  lastScrub: LastScrub | null
  scrubDue: boolean
  /** When the passphrase was last proven, and whether a rehearsal is due (main/engine/key-check.ts). */
  keyCheck?: KeyCheckStatus
  targets: TargetStatus[]
}

/** What the shells know about the pools and snapshots right now. */
export interface DriveFacts {
  /** Snapshots of each source dataset, oldest first; a source that could not be listed is absent. */
  source: ReadonlyMap<string, readonly SnapshotInfo[]>
  /** The drive's snapshots per target, read from the imported pool; null when the pool is not imported. */
  drive: ReadonlyMap<string, readonly SnapshotInfo[]> | null
  /** Bookmarks of each source (for the kept base); absent when not read. */
  bookmarks?: ReadonlyMap<string, readonly BookmarkInfo[]>
  /** usedbydataset + usedbysnapshots of each source: about the size of a full send. */
  fullBytes?: ReadonlyMap<string, number>
}

/** The drive's newest successful backup in the history (newest first). */
export function lastBackup(runs: readonly RunRecord[], drive: string): RunRecord | null {
  return runs.find((r) => r.verb === 'backup' && r.drive === drive && r.outcome === 'succeeded') ?? null
}

export function lastBackupAt(runs: readonly RunRecord[], drive: string): string | null {
  const r = lastBackup(runs, drive)
  return r ? (r.finishedAt ?? r.startedAt) : null
}

/** The snapshot the history last verified on the drive for this target. */
export function lastVerified(runs: readonly RunRecord[], drive: string, target: string): { snapshot: string; guid: string } | null {
  for (const r of runs) {
    const hit = r.drive === drive ? r.replicated.find((x) => x.target === target) : undefined
    if (hit) return { snapshot: hit.snapshot, guid: hit.guid }
  }
  return null
}

/** How many source snapshots are newer than the drive's newest; a newest the laptop has pruned means all. */
function missing(src: readonly SnapshotInfo[], newest: { snapshot: string; guid: string }): number {
  const i = src.findIndex((s) => s.guid === newest.guid)
  return i >= 0 ? src.length - 1 - i : src.length
}

function targetStatus(drive: DriveConfig, source: string, target: string, runs: readonly RunRecord[], facts: DriveFacts): TargetStatus {
  const src = facts.source.get(source) ?? []
  const live = facts.drive?.get(target)
  const newest = live ? (live.at(-1) ?? null) : lastVerified(runs, drive.name, target)
  const from: TargetStatus['from'] = live ? 'live' : newest ? 'history' : 'unknown'
  return {
    source,
    target,
    sourceNewest: src.at(-1)?.snapshot ?? null,
    driveNewest: newest?.snapshot ?? null,
    missingOnDrive: from === 'unknown' ? null : newest ? missing(src, newest) : src.length,
    from,
    ...(facts.bookmarks ? { nextBase: nextBase(src, facts.bookmarks.get(source) ?? [], drive.poolGuid, newest ? { snapshot: newest.snapshot, guid: newest.guid } : null), fullSendBytes: facts.fullBytes?.get(source) ?? null } : {}),
  }
}

export function driveStatus(config: Config, drive: DriveConfig, runs: readonly RunRecord[], facts: DriveFacts, now: number): DriveStatusReport {
  const at = lastBackupAt(runs, drive.name)
  const scrubbed = lastScrub(runs, drive.name)
  return {
    drive: drive.name,
    pool: drive.pool,
    lastBackupAt: at,
    stale: at === null || now - Date.parse(at) > config.staleAfterDays * DAY_MS,
    lastScrub: scrubbed,
    scrubDue: scrubDue(scrubbed, config.scrubEveryDays, now),
    keyCheck: keyCheckStatus(runs, drive.name, config.keyCheckEveryDays, now),
    targets: Object.entries(drive.targets).map(([source, target]) => targetStatus(drive, source, target, runs, facts)),
  }
}

/** The drive card's one line per drive: the first target's names, and what all targets miss together. */
export function snapshotSummary(r: DriveStatusReport): { sourceNewest: string | null; driveNewest: string | null; missingOnDrive: number | null } {
  const first = r.targets[0]
  const counts = r.targets.map((t) => t.missingOnDrive)
  return {
    sourceNewest: first?.sourceNewest ?? null,
    driveNewest: first?.driveNewest ?? null,
    missingOnDrive: counts.length && counts.every((c) => c !== null) ? counts.reduce((a, b) => a! + b!, 0) : null,
  }
}

/** Names of the drives whose pool (by GUID) is imported now. zpool list works without root. */
export async function importedDrives(runner: Runner, drives: readonly DriveConfig[]): Promise<Set<string>> {
  const pools = await listPools(runner)
  return new Set(drives.filter((d) => pools.some((p) => p.guid === d.poolGuid)).map((d) => d.name))
}

export async function drivePresence(runner: Runner, drive: DriveConfig): Promise<'absent' | 'connected' | 'imported'> {
  const imported = (await importedDrives(runner, [drive]).catch(() => new Set<string>())).has(drive.name)
  return imported ? 'imported' : existsSync(drive.disk) ? 'connected' : 'absent'
}

/** Snapshots of every source dataset; one that cannot be listed is left out (its status is unknown). */
export async function readSourceSnapshots(runner: Runner, datasets: readonly string[]): Promise<Map<string, SnapshotInfo[]>> {
  const out = new Map<string, SnapshotInfo[]>()
  for (const ds of new Set(datasets)) {
    const snaps = await listSnapshots(runner, ds).catch(() => null)
    if (snaps) out.set(ds, snaps)
  }
  return out
}

/** The drive's snapshots per target, read from the imported pool (a target not received yet has none). */
export async function readTargetSnapshots(runner: Runner, drive: DriveConfig): Promise<Map<string, SnapshotInfo[]>> {
  const out = new Map<string, SnapshotInfo[]>()
  for (const target of Object.values(drive.targets)) {
    out.set(target, (await datasetExists(runner, target).catch(() => false)) ? await listSnapshots(runner, target) : [])
  }
  return out
}

/** The CLI's question, asked once: presence and status of one drive. */
export async function readDriveStatus(runner: Runner, config: Config, drive: DriveConfig, runs: readonly RunRecord[], now = Date.now()): Promise<DriveStatusReport & { presence: 'absent' | 'connected' | 'imported' }> {
  const presence = await drivePresence(runner, drive)
  const facts: DriveFacts = {
    source: await readSourceSnapshots(runner, Object.keys(drive.targets)),
    drive: presence === 'imported' ? await readTargetSnapshots(runner, drive) : null,
    ...(await readKeptBases(runner, Object.keys(drive.targets))),
  }
  return { ...driveStatus(config, drive, runs, facts, now), presence }
}

/** The sources' bookmarks and the size a full send would have, in one listing and one zfs get. */
export async function readKeptBases(runner: Runner, sources: readonly string[], o: { sizes?: boolean } = {}): Promise<Pick<DriveFacts, 'bookmarks' | 'fullBytes'>> {
  if (sources.length === 0) return {}
  try {
    const [listing, props] = await Promise.all([listForReplication(runner, sources), o.sizes === false ? new Map<string, never>() : getManyProperties(runner, sources, ['usedbydataset', 'usedbysnapshots'])])
    const bytes = (ds: string): number => ['usedbydataset', 'usedbysnapshots'].reduce((a, k) => a + (Number(props.get(ds)?.raw[k]?.value) || 0), 0)
    return { bookmarks: new Map(sources.map((s) => [s, listing.get(s)?.bookmarks ?? []])), fullBytes: new Map(sources.map((s) => [s, bytes(s)])) }
  } catch {
    return {}
  }
}
