// syncoid: the guide's replication command, its version check, and a progress model built from what
// syncoid 2.2.0 prints. Observed (test/fixtures/zfs/syncoid-*.txt): the "Sending …" announcements go to
// stdout, each before its transfer starts; pv (with our --pv-options) writes one cumulative byte count per
// line to stderr, and a fresh pv (starting from 0) runs for every segment. A first run sends two segments:
// the oldest snapshot in full, then an incremental up to the newest.
import { InvalidNameError, assertDatasetName } from './names'
import type { Runner } from './runner'

export type SyncoidCompress = 'none' | 'gzip' | 'pigz-fast' | 'pigz-slow' | 'zstd-fast' | 'zstd-slow' | 'lz4' | 'xz' | 'lzo'

export interface SyncoidOptions {
  source: string
  target: string
  /** `--sendoptions=w` (zfs send --raw): the target receives ciphertext and never needs the key. */
  raw?: boolean
  compress?: SyncoidCompress
  /** Use only existing (sanoid) snapshots instead of creating syncoid_* ones. */
  noSyncSnap?: boolean
  /** Fail rather than roll the target back when it has diverged. */
  noRollback?: boolean
  /** pv options; null leaves syncoid's default (a human progress bar we could not parse). */
  pvOptions?: string | null
}

/** pv prints a bare cumulative byte count every 0.5 s; `-f` because stderr is a pipe, not a tty. */
export const PV_OPTIONS = '-f -n -b -i 0.5'

/**
 * The guide's command, without --delete-target-snapshots: syncoid joins those snapshot names unquoted into
 * a shell string, so the app prunes by itself. A name with ':' is refused here: syncoid would read it as
 * host:dataset and hand the rest to ssh.
 */
export function syncoidArgv(o: SyncoidOptions): string[] {
  assertDatasetName(o.source, 'source dataset')
  assertDatasetName(o.target, 'target dataset')
  for (const [field, name] of [['source dataset', o.source], ['target dataset', o.target]] as const) {
    if (name.includes(':')) throw new InvalidNameError(field, name, "must not contain ':' for syncoid (it reads host:dataset)")
  }
  const argv = ['syncoid']
  if (o.raw ?? true) argv.push('--sendoptions=w')
  argv.push(`--compress=${o.compress ?? 'none'}`)
  if (o.noSyncSnap ?? true) argv.push('--no-sync-snap')
  if (o.noRollback ?? true) argv.push('--no-rollback')
  const pv = o.pvOptions === undefined ? PV_OPTIONS : o.pvOptions
  if (pv !== null) argv.push(`--pv-options=${pv}`)
  argv.push(o.source, o.target)
  return argv
}

export const SYNCOID_MIN_VERSION = '2.2.0'

export function syncoidVersionArgv(): string[] {
  return ['syncoid', '--version']
}

/** `/usr/sbin/syncoid version 2.2.0` (2.x) or `Syncoid version: 1.4.13` (1.x) → '2.2.0'. */
export function parseSyncoidVersion(stdout: string): string | null {
  const m = /syncoid version:?\s+(\d+(?:\.\d+)*)/i.exec(stdout)
  return m ? m[1]! : null
}

export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

export interface SyncoidVersionCheck {
  version: string | null
  ok: boolean
  /** Why it is not usable, for the UI. */
  problem?: string
}

/** 2.1.0 (Debian 12's) exits 2 with "Unknown option: delete-target-snapshots". */
export function checkSyncoidVersion(stdout: string): SyncoidVersionCheck {
  const version = parseSyncoidVersion(stdout)
  if (version === null) return { version, ok: false, problem: 'could not read the syncoid version' }
  if (compareVersions(version, SYNCOID_MIN_VERSION) < 0) {
    return { version, ok: false, problem: `syncoid ${version} is too old: ${SYNCOID_MIN_VERSION} or newer is needed` }
  }
  return { version, ok: true }
}

/** syncoid's version and whether it is new enough; a syncoid that fails to start says why in `problem`. */
export async function syncoidVersion(runner: Runner): Promise<SyncoidVersionCheck> {
  const r = await runner.run(syncoidVersionArgv(), { allowFailure: true })
  return checkSyncoidVersion(r.stdout + r.stderr)
}

/** syncoid's readablebytes(): binary units (MB = 2^20), one decimal for MB/GB, whole KB. */
const UNIT: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }

export function parseSyncoidSize(text: string): number | null {
  const m = /^([\d.]+)\s*(B|KB|MB|GB|TB)$/.exec(text.trim())
  return m ? Math.round(Number(m[1]) * UNIT[m[2]!]!) : null
}

export type SyncoidLine =
  | { kind: 'segment'; type: 'full' | 'incremental'; from: string | null; to: string; estimateBytes: number | null }
  | { kind: 'nothing-to-do'; newest: string }
  | { kind: 'newest'; snapshot: string }
  | { kind: 'pv'; bytes: number }
  | { kind: 'critical'; message: string }
  | { kind: 'other'; text: string }

/**
 * Classifies one line of syncoid stdout or stderr:
 *  `INFO: Sending oldest full snapshot tank/data@a (~ 34.5 MB) to new target filesystem:`
 *  `INFO: Updating new target filesystem with incremental tank/data@a ... c (~ 7.8 MB):`
 *  `Sending incremental tank/data@b ... c (~ 11.5 MB):`
 *  `INFO: no snapshots on source newer than c on target. Nothing to do, not syncing.`
 *  `36122260` (pv -n -b)
 */
export function parseSyncoidLine(line: string): SyncoidLine {
  const text = line.trim()
  if (/^\d+$/.test(text)) return { kind: 'pv', bytes: Number(text) }
  const size = /\(~ ([^)]*)\)/.exec(text)
  const estimateBytes = size ? parseSyncoidSize(size[1]!) : null
  let m = /Sending (?:oldest|newest) full snapshot (\S+@\S+) \(~/.exec(text)
  if (m) return { kind: 'segment', type: 'full', from: null, to: m[1]!, estimateBytes }
  m = /(?:Sending|with) incremental (\S+?)@(\S+) \.\.\. (\S+) \(~/.exec(text)
  if (m) return { kind: 'segment', type: 'incremental', from: `${m[1]}@${m[2]}`, to: `${m[1]}@${m[3]}`, estimateBytes }
  m = /no snapshots on source newer than (\S+) on target\. Nothing to do/.exec(text)
  if (m) return { kind: 'nothing-to-do', newest: m[1]! }
  m = /^NEWEST SNAPSHOT: (\S+)/.exec(text)
  if (m) return { kind: 'newest', snapshot: m[1]! }
  if (/^(CRITICAL|ERROR)/.test(text)) return { kind: 'critical', message: text }
  return { kind: 'other', text }
}

export interface SyncoidSegment {
  type: 'full' | 'incremental'
  from: string | null
  to: string
  estimateBytes: number | null
}

export interface SyncoidProgressSnapshot {
  segments: readonly SyncoidSegment[]
  /** Bytes through pv so far, over all segments. */
  bytes: number
  /** Sum of the announced estimates; grows when syncoid announces its next segment. null until known. */
  totalBytes: number | null
  /** 0..1, never above 1; null while the total is unknown. */
  fraction: number | null
  bytesPerSecond: number | null
  etaSeconds: number | null
  nothingToDo: boolean
  done: boolean
}

/**
 * Accumulates syncoid output lines (both streams) into progress. Each pv restarts at 0 for a new segment,
 * so bytes = final counts of finished segments + the current count. A segment ends when the next one is
 * announced or, should the announcement come late, when pv's count falls.
 */
export class SyncoidProgress {
  private readonly segments: SyncoidSegment[] = []
  private completedBytes = 0
  private current = 0
  private seenPvInSegment = false
  private nothing = false
  private finished = false
  private samples: { t: number; bytes: number }[] = []

  constructor(private readonly windowMs = 10_000) {}

  /** Feeds one line; returns what it was, so callers can log announcements. */
  feed(line: string, now = Date.now()): SyncoidLine {
    const parsed = parseSyncoidLine(line)
    if (parsed.kind === 'segment') {
      this.closeSegment()
      this.segments.push({ type: parsed.type, from: parsed.from, to: parsed.to, estimateBytes: parsed.estimateBytes })
    } else if (parsed.kind === 'pv') {
      if (parsed.bytes < this.current) this.closeSegment()
      this.current = parsed.bytes
      this.seenPvInSegment = true
      this.sample(now)
    } else if (parsed.kind === 'nothing-to-do') {
      this.nothing = true
    }
    return parsed
  }

  /** Call when syncoid exited 0: progress is then exactly 100 %. */
  finish(): void {
    this.finished = true
  }

  private closeSegment(): void {
    if (!this.seenPvInSegment) return
    this.completedBytes += this.current
    this.current = 0
    this.seenPvInSegment = false
  }

  private get bytes(): number {
    return this.completedBytes + this.current
  }

  private sample(now: number): void {
    this.samples.push({ t: now, bytes: this.bytes })
    while (this.samples.length > 2 && now - this.samples[0]!.t > this.windowMs) this.samples.shift()
  }

  snapshot(): SyncoidProgressSnapshot {
    const bytes = this.bytes
    const estimates = this.segments.map((s) => s.estimateBytes)
    const totalBytes = estimates.length > 0 && estimates.every((e) => e !== null) ? estimates.reduce((a, b) => a! + b!, 0)! : null
    const done = this.finished || this.nothing
    let fraction: number | null = null
    if (done) fraction = 1
    else if (totalBytes !== null && totalBytes > 0) fraction = Math.min(1, bytes / totalBytes)
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    let bytesPerSecond: number | null = null
    if (first && last && last.t > first.t) bytesPerSecond = Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.t - first.t))
    let etaSeconds: number | null = null
    if (done) etaSeconds = 0
    else if (totalBytes !== null && bytesPerSecond) etaSeconds = Math.max(0, (totalBytes - bytes) / bytesPerSecond)
    return { segments: [...this.segments], bytes, totalBytes, fraction, bytesPerSecond, etaSeconds, nothingToDo: this.nothing, done }
  }
}

export interface SyncoidRunResult {
  exitCode: number
  stdout: string
  stderr: string
  progress: SyncoidProgressSnapshot
}

/** Runs syncoid, feeding both streams to a SyncoidProgress and reporting each change. */
export async function runSyncoid(
  runner: Runner,
  options: SyncoidOptions,
  onProgress?: (p: SyncoidProgressSnapshot, line: SyncoidLine) => void,
  signal?: AbortSignal,
  /** How the command is wrapped before it runs (setpriv.ts: so that its pipeline dies with the run). */
  wrap: (argv: string[]) => string[] = (argv) => argv,
): Promise<SyncoidRunResult> {
  const progress = new SyncoidProgress()
  const onLine = (line: string): void => {
    if (line.trim() === '') return
    const parsed = progress.feed(line)
    onProgress?.(progress.snapshot(), parsed)
  }
  const r = await runner.run(wrap(syncoidArgv(options)), { onStdoutLine: onLine, onStderrLine: onLine, signal })
  progress.finish()
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, progress: progress.snapshot() }
}
