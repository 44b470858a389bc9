// The window's read-only questions, each answered by an engine query: snapshots on both sides, a diff,
// the disks setup may format, the doctor's checks, source candidates and the history. They run as the
// user: zfs list, zpool list and zfs diff (with the "diff" permission) need no root.
import type { DoctorCheck } from '../../shared/wire'
import type { SnapshotInfo } from '../system/zfs'
import { diffSnapshots, ZfsDiffError } from '../system/zfs'
import type { Runner } from '../system/runner'
import { listDiskCandidates } from '../engine/disks'
import { runDoctor } from '../engine/doctor'
import { lastVerified } from '../engine/drive-status'
import { readDriveSnapshots, timelines } from '../engine/snapshots'
import { listSourceCandidates } from '../engine/sources'
import { which } from '../engine/tools'
import { readRuns } from '../history/store'
import { validRuns, type AppData } from './app-data'
import type { Handlers } from './ipc'

export type QueryHandlers = Pick<Handlers, 'snapshots:list' | 'diff:get' | 'disks:list' | 'doctor:get' | 'sources:list' | 'history:list'>

export interface QueryDeps {
  runner: Runner
  data: AppData
  configPath: string
  historyPath: string
  log: (message: string) => void
}

const row = (s: SnapshotInfo) => ({ name: s.name, createdAt: new Date(s.creation * 1000).toISOString(), guid: s.guid })

export function queryHandlers(q: QueryDeps): QueryHandlers {
  return {
    'snapshots:list': async ({ drive }) => {
      const d = q.data.drive(drive)
      if (!d) throw new Error(`No drive named “${drive}” is configured.`)
      // Readable without root whenever the pool is imported (e.g. while a restore is open).
      const both = await readDriveSnapshots(q.runner, d, { importReadOnly: false })
      const source = both.pairs.flatMap((p) => p.sourceSnapshots.map(row))
      if (!both.unread) return { source, drive: both.pairs.flatMap((p) => (p.driveSnapshots ?? []).map(row)), timelines: timelines(both) }
      const newest = Object.values(d.targets).map((t) => lastVerified(q.data.history, d.name, t)).find((v) => v !== null)
      const needs = 'reading it needs the drive imported (root).'
      return { source, drive: null, timelines: timelines(both), driveNote: newest ? `The drive held @${newest.snapshot} after the last backup; ${needs}` : 'Reading the drive’s snapshots needs the drive imported (root).' }
    },
    'diff:get': async ({ dataset, from, to }) => {
      const full = (s: string): string => (s.includes('@') ? s : `${dataset}@${s}`)
      try {
        return { entries: await diffSnapshots(q.runner, full(from), to === dataset ? dataset : full(to), 120_000) }
      } catch (err) {
        if (!(err instanceof ZfsDiffError)) throw err
        throw new Error(err.reason === 'no-permission' ? `zfs diff needs the "diff" permission on ${dataset}: sudo zfs allow -u $USER diff,mount ${dataset}` : `zfs diff failed: ${err.stderr.trim().split('\n').at(-1) ?? ''}`)
      }
    },
    'disks:list': async () =>
      (await listDiskCandidates(q.runner, q.data.config.drives)).flatMap((c) =>
        c.byId ? [{ byId: c.byId, model: c.model, serial: c.serial, sizeBytes: c.sizeBytes, transport: c.transport, eligible: c.eligible, ...(c.reason ? { reason: c.reason } : {}) }] : [],
      ),
    'doctor:get': async () => doctor(q),
    'sources:list': async () => listSourceCandidates(q.runner, q.data.config),
    'history:list': async ({ limit }) => validRuns(await readRuns(q.historyPath, limit ?? 50, q.log)),
  }
}

async function doctor(q: QueryDeps): Promise<DoctorCheck[]> {
  const { config, configExists } = q.data
  const configured: DoctorCheck = { id: 'config', title: 'Configuration', ok: q.data.configured, severity: 'error', detail: configExists ? `${config.drives.length} drive(s), ${config.sources.length} source(s) in ${q.configPath}` : `no config at ${q.configPath} yet` }
  const checks = await runDoctor(q.runner, config)
  // pkexec may live outside PATH on NixOS (/run/wrappers/bin).
  for (const c of checks) if (c.id === 'pkexec' && !c.ok && which('pkexec', '/run/wrappers/bin')) Object.assign(c, { ok: true, detail: 'found at /run/wrappers/bin/pkexec' })
  return [configured, ...checks]
}
