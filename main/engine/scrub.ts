// Scrub (the guide's section 8): import if needed, start (or join a running scrub), report progress from
// `zpool status -jp` and the result: repaired bytes, READ/WRITE/CKSUM per device, the errors section.
// A scrub needs no key; without it `zpool status -v` withholds the file list ("List of errors
// unavailable: permission denied"), so the result says how many and that `restore open` shows which.
// The result is a scrub-result event (and so in the history's record), which lastScrub() reads.
import type { DriveRunOptions } from './pipeline'
import { bytes } from './units'
import type { Config, DriveConfig } from '../config/schema'
import type { RunRecord } from '../../shared/run-record'
import type { Runner } from '../system/runner'
import { poolStatus, scrubArgv, statusErrors, vdevErrorTotals, type ErrorsSection, type PoolStatus, type ScanStats, type VdevStatus } from '../system/zpool'
import { pickDrive, requireRoot } from './preflight'
import { EngineError } from './errors'
import type { Progress, ScrubSummary } from '../../shared/events'
import { LifecycleError } from './lifecycle-errors'
import { exportStep, IMPORTED_BEFORE } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step, type StepContext } from './pipeline'
import { importDrivePool } from './pool'

// ---------------------------------------------------------------- pure parts

/** Progress as zpool prints it: issued of to_examine, rate since the scrub started, ETA from that rate. */
export function scrubProgress(scan: ScanStats, nowSeconds: number): Progress {
  const total = scan.toExamine
  const done = scan.state === 'FINISHED' ? total : Math.min(scan.issued, total)
  const elapsed = scan.startTime ? nowSeconds - scan.startTime : 0
  const rate = elapsed > 0 && scan.issued > 0 ? scan.issued / elapsed : null
  const eta = scan.state === 'FINISHED' ? 0 : rate ? Math.max(0, (total - done) / rate) : null
  return { bytes: done, totalBytes: total, bytesPerSecond: rate, etaSeconds: eta }
}

export interface ScrubResult {
  pool: string
  state: string
  /** 'FINISHED', 'CANCELED', 'SCANNING' … */
  scanState: string
  repairedBytes: number
  /** The scrub's "with N errors". */
  errors: number
  /** Persistent data errors of the pool ("errors: N data errors"). */
  dataErrors: number
  durationSeconds: number | null
  finishedAt: number | null
  devices: { name: string; state: string; read: number; write: number; checksum: number }[]
  totals: { read: number; write: number; checksum: number }
  /** Affected files or objects, when zpool could list them (the key is loaded). */
  files: { dataset: string; snapshot: string | null; path: string }[]
  /** The file list was withheld: the datasets' keys are not loaded. */
  fileListNeedsKey: boolean
  status: string | null
  action: string | null
}

function leaves(vdevs: readonly VdevStatus[]): VdevStatus[] {
  return vdevs.flatMap((v) => (v.children.length ? [v, ...leaves(v.children)] : [v]))
}

export function scrubResult(status: PoolStatus, errors: ErrorsSection): ScrubResult {
  const scan = status.scan
  return {
    pool: status.name,
    state: status.state,
    scanState: scan?.state ?? 'NONE',
    repairedBytes: scan?.repaired ?? 0,
    errors: scan?.errors ?? 0,
    dataErrors: errors.kind === 'count' ? errors.count : errors.kind === 'files' ? Math.max(status.errorCount, errors.files.length) : status.errorCount,
    durationSeconds: scan?.startTime && scan.endTime ? scan.endTime - scan.startTime : null,
    finishedAt: scan?.endTime ?? null,
    devices: leaves(status.vdevs).map((v) => ({ name: v.name, state: v.state, read: v.readErrors, write: v.writeErrors, checksum: v.checksumErrors })),
    totals: vdevErrorTotals(status.vdevs.flatMap((v) => v.children)),
    files: errors.kind === 'files' ? errors.files : [],
    fileListNeedsKey: errors.kind === 'unavailable',
    status: status.status,
    action: status.action,
  }
}

/** The result's step note, for people reading the history: exact numbers first. */
export function scrubNote(r: ScrubResult): string {
  return `scrub repaired ${r.repairedBytes} bytes with ${r.errors} errors; ${r.dataErrors} data errors; READ ${r.totals.read} WRITE ${r.totals.write} CKSUM ${r.totals.checksum}`
}

/** What the scrub-result event carries. */
export function scrubSummary(r: ScrubResult): ScrubSummary {
  return { pool: r.pool, repairedBytes: r.repairedBytes, errors: r.errors, dataErrors: r.dataErrors, totals: r.totals }
}

/** What a person reads after a scrub. */
export function formatScrubResult(r: ScrubResult): string[] {
  const lines: string[] = []
  const took = r.durationSeconds !== null ? ` in ${r.durationSeconds} s` : ''
  lines.push(`${r.pool}: ${r.state}; scrub ${r.scanState === 'FINISHED' ? 'finished' : r.scanState.toLowerCase()}${took}: repaired ${bytes(r.repairedBytes)}, ${r.errors} error${r.errors === 1 ? '' : 's'}`)
  for (const d of r.devices) lines.push(`  ${d.name}: ${d.state}, READ ${d.read} WRITE ${d.write} CKSUM ${d.checksum}`)
  if (r.dataErrors === 0 && r.files.length === 0 && !r.fileListNeedsKey) lines.push('errors: No known data errors')
  else if (r.files.length) {
    lines.push(`errors: ${r.dataErrors} permanent error${r.dataErrors === 1 ? '' : 's'} in:`)
    for (const f of r.files) lines.push(`  ${f.dataset}${f.snapshot ? `@${f.snapshot}` : ''}:${f.path}`)
  } else {
    lines.push(`errors: ${r.dataErrors} data error${r.dataErrors === 1 ? '' : 's'}`)
    if (r.fileListNeedsKey) lines.push('  Which files are affected is only listed with the key loaded: run `zfs-drive-backup restore open` (it asks for the passphrase and lists them).')
  }
  if (r.dataErrors > 0 || r.totals.checksum > 0) lines.push('  The copy on this drive is damaged. Back up to another drive, and replace this one if errors keep appearing.')
  return lines
}

export interface LastScrub {
  at: string
  errors: number
  repairedBytes: number
}

/** The newest finished scrub of a drive in the history. */
export function lastScrub(runs: readonly RunRecord[], drive: string): LastScrub | null {
  for (const r of runs) {
    if (r.verb !== 'scrub' || r.drive !== drive || !r.finishedAt || !r.scrub) continue
    return { at: r.finishedAt, errors: r.scrub.errors + r.scrub.dataErrors, repairedBytes: r.scrub.repairedBytes }
  }
  return null
}

export function scrubDue(last: LastScrub | null, everyDays: number, now = Date.now()): boolean {
  return last === null || now - Date.parse(last.at) > everyDays * 86400_000
}

// ---------------------------------------------------------------- pipeline

interface ScrubState {
  config: Config
  drive: DriveConfig
  wait: boolean
  lockPath?: string
  lock: Lock | null
  importedByUs: boolean
  /** The drive's pool as imported (resolved from its GUID): every zpool command names pool. */
  pool: string
  /** Unix seconds just before we started the scrub: an older FINISHED scan is not ours. */
  since: number
  joined: boolean
  finished: boolean
  /** Unrecorded runner for the repeated status polls (the first one is recorded). */
  poller: Runner
  pollMs: number
}

const preflight: Step<ScrubState> = {
  id: 'preflight',
  title: 'Check',
  async run(_ctx, s) {
    s.lock = acquireLock(s.lockPath, `scrub of ${s.drive.name}`)
    requireRoot('A scrub imports the pool')
  },
}

const importPool: Step<ScrubState> = {
  id: 'import',
  title: 'Import the drive\'s pool',
  async run(ctx, s) {
    const pool = await importDrivePool(ctx, s.drive)
    s.importedByUs = pool.importedByUs
    s.pool = pool.name
    return { note: pool.importedByUs ? `imported ${pool.name}` : `${pool.name} already imported` }
  },
}

const start: Step<ScrubState> = {
  id: 'start',
  title: 'Start the scrub',
  async run(ctx, s) {
    const st = await poolStatus(ctx.runner, s.pool)
    if (st.scan?.function === 'SCRUB' && st.scan.state === 'SCANNING') {
      s.joined = true
      return { note: `a scrub is already running (since ${new Date((st.scan.startTime ?? 0) * 1000).toISOString()}); following it` }
    }
    s.since = Math.floor(Date.now() / 1000) - 1
    await ctx.runner.run(scrubArgv(s.pool))
  },
}

const watch: Step<ScrubState> = {
  id: 'watch',
  title: 'Scrub',
  async run(ctx, s) {
    let last = 0
    for (let first = true; ; first = false) {
      const st = await poolStatus(first ? ctx.runner : s.poller, s.pool)
      const scan = st.scan
      const ours = scan && scan.function === 'SCRUB' && (s.joined || (scan.startTime ?? 0) >= s.since)
      if (!scan || !ours) throw new LifecycleError('scrub-failed', `zpool status shows no scrub of ${s.pool} after starting one.`)
      if (Date.now() - last >= 1000 || scan.state !== 'SCANNING') {
        last = Date.now()
        ctx.progress(scrubProgress(scan, Date.now() / 1000))
      }
      if (scan.state === 'FINISHED') {
        s.finished = true
        return
      }
      if (scan.state === 'CANCELED') throw new LifecycleError('scrub-failed', `The scrub of ${s.pool} was cancelled (zpool scrub -s).`)
      if (!s.wait) {
        ctx.info(`The scrub runs in the background with the pool imported; \`zfs-drive-backup scrub --wait${s.config.drives.length > 1 ? ` --drive ${s.drive.name}` : ''}\` follows it to the end and exports, or \`eject\` stops it (it resumes at the next import).`)
        return { note: 'running in the background' }
      }
      if (first) ctx.info(`polling zpool status -jp ${s.pool} every ${s.pollMs / 1000} s`)
      await new Promise<void>((res) => {
        const t = setTimeout(res, s.pollMs)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t)
          res()
        }, { once: true })
      })
      if (ctx.signal.aborted) throw new EngineError('cancelled', 'Cancelled; the scrub continues at the next import.')
    }
  },
}

const result: Step<ScrubState> = {
  id: 'result',
  title: 'Result',
  async run(ctx, s) {
    if (!s.finished) return { skipped: 'the scrub is still running' }
    const st = await poolStatus(ctx.runner, s.pool)
    const r = scrubResult(st, await statusErrors(ctx.runner, s.pool))
    for (const line of formatScrubResult(r)) ctx.info(line)
    if (r.dataErrors > 0 || r.errors > 0 || r.totals.checksum + r.totals.read + r.totals.write > 0) {
      ctx.warn('scrub-found-errors', `The scrub of drive "${s.drive.name}" found ${r.errors} error(s), ${r.dataErrors} data error(s), CKSUM ${r.totals.checksum}.`)
    }
    ctx.emit({ type: 'scrub-result', ...scrubSummary(r) })
    return { note: scrubNote(r) }
  },
}

const exportPool = exportStep<ScrubState>({
  skip: (s) => (!s.importedByUs ? IMPORTED_BEFORE : !s.finished && !s.wait ? 'the scrub is running' : null),
  drive: (s) => s.drive,
})

export const scrubSteps: Step<ScrubState>[] = [preflight, importPool, start, watch, result, exportPool]

export interface ScrubOptions extends DriveRunOptions {
  /** Follow the scrub to its end, report the result and export (default: start it and return). */
  wait?: boolean
  pollMs?: number
}

export async function scrub(o: ScrubOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state: ScrubState = {
    config: o.config, drive, wait: o.wait ?? false, lock: null, importedByUs: false, pool: drive.pool, since: 0, joined: false, finished: false,
    poller: o.runner, pollMs: o.pollMs ?? 1000, ...(o.lockPath ? { lockPath: o.lockPath } : {}),
  }
  try {
    return await runPipeline({ verb: 'scrub', drive: drive.name, steps: scrubSteps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}

export type { StepContext }
