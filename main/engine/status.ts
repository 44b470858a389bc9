// Where each drive stands, read without root and without importing anything: present or not, last
// backup, and how far behind the laptop it is (from the last verified copy when the pool is not imported).
import { existsSync } from 'node:fs'
import type { Config, DriveConfig } from '../config/schema'
import type { RunRecord } from '../../shared/run-record'
import { lastSuccess } from '../history/store'
import type { Runner } from '../system/runner'
import { datasetExists, listSnapshots } from '../system/zfs'
import { lastScrub, scrubDue, type LastScrub } from './scrub'
import { listPools } from '../system/zpool'

export interface TargetStatus {
  source: string
  target: string
  sourceNewest: string | null
  driveNewest: string | null
  /** Source snapshots newer than the drive's newest; null when unknown. */
  missingOnDrive: number | null
  /** 'live' when read from the imported pool, 'history' when from the last verified backup. */
  from: 'live' | 'history' | 'unknown'
}

export interface DriveReport {
  drive: string
  pool: string
  presence: 'absent' | 'connected' | 'imported'
  lastBackupAt: string | null
  stale: boolean
  lastScrub: LastScrub | null
  scrubDue: boolean
  targets: TargetStatus[]
}

export async function driveReport(runner: Runner, config: Config, drive: DriveConfig, runs: readonly RunRecord[], now = Date.now()): Promise<DriveReport> {
  const imported = (await listPools(runner).catch(() => [])).some((p) => p.guid === drive.poolGuid)
  const presence = imported ? 'imported' : existsSync(drive.disk) ? 'connected' : 'absent'
  const last = lastSuccess(runs, drive.name)
  const lastBackupAt = last?.finishedAt ?? null
  const stale = lastBackupAt === null || now - Date.parse(lastBackupAt) > config.staleAfterDays * 86400_000
  const targets: TargetStatus[] = []
  for (const [source, target] of Object.entries(drive.targets)) {
    const src = await listSnapshots(runner, source).catch(() => [])
    let driveNewest: string | null = null
    let from: TargetStatus['from'] = 'unknown'
    if (imported && (await datasetExists(runner, target).catch(() => false))) {
      driveNewest = (await listSnapshots(runner, target)).at(-1)?.snapshot ?? null
      from = 'live'
    } else {
      const rec = runs.find((r) => r.drive === drive.name && r.replicated?.some((x) => x.target === target))
      const hit = rec?.replicated.find((x) => x.target === target)
      if (hit) {
        driveNewest = hit.snapshot
        from = 'history'
      }
    }
    const idx = driveNewest === null ? -1 : src.findIndex((s) => s.snapshot === driveNewest)
    const missingOnDrive = from === 'unknown' ? null : idx >= 0 ? src.length - 1 - idx : src.length
    targets.push({ source, target, sourceNewest: src.at(-1)?.snapshot ?? null, driveNewest, missingOnDrive, from })
  }
  const scrubbed = lastScrub(runs, drive.name)
  return { drive: drive.name, pool: drive.pool, presence, lastBackupAt, stale, lastScrub: scrubbed, scrubDue: scrubDue(scrubbed, config.scrubEveryDays, now), targets }
}
