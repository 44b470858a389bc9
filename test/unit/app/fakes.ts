// Fakes for the coordinator's collaborators: a launcher whose helper the test speaks for, a watcher the
// test plugs drives into, a notifier that records and answers, and a runner for the read-only queries.
import { EventEmitter } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vi } from 'vitest'
import type { DriveConfig } from '../../../main/config/schema'
import type { RunEvent } from '../../../shared/events'
import type { Job } from '../../../main/helper/job'
import type { LaunchResult, Launcher, RunHandle } from '../../../main/app/privileged'
import type { NotifierLike, NotifyOutcome, WatcherLike } from '../../../main/app/coordinator'
import type { CommandResult, Runner } from '../../../main/system/runner'

export const GUID = '16412717767768173259'

export function tempFiles(over: Record<string, unknown> = {}): { dir: string; configPath: string; historyPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-app-'))
  const configPath = join(dir, 'config.json')
  const historyPath = join(dir, 'history.jsonl')
  writeFileSync(configPath, JSON.stringify({
    version: 1,
    sources: [{ dataset: 'rpool/home' }],
    drives: [{ name: 'T7', pool: 'backup', poolGuid: GUID, disk: '/dev/disk/by-id/usb-Samsung_T7_123', targets: { 'rpool/home': 'backup/home' } }],
    ...over,
  }), { mode: 0o600 })
  return { dir, configPath, historyPath }
}

export interface FakeRun {
  job: Job
  secret: string | undefined
  emit(e: RunEvent): void
  finish(r?: Partial<LaunchResult>): void
  cancel: ReturnType<typeof vi.fn<() => void>>
}

export class FakeLauncher implements Launcher {
  runs: FakeRun[] = []
  command(): readonly string[] {
    return ['/usr/bin/pkexec', '/usr/lib/zfs-drive-backup/zfs-drive-backup-helper']
  }
  run(job: Job, opts: { secret?: string; onEvent: (e: RunEvent) => void }): RunHandle {
    let resolve!: (r: LaunchResult) => void
    const done = new Promise<LaunchResult>((r) => (resolve = r))
    let outcome: LaunchResult['outcome'] = null
    let ran = false
    const run: FakeRun = {
      job,
      secret: opts.secret,
      emit: (e) => {
        ran = true
        if (e.type === 'run-finished') outcome = e.outcome
        opts.onEvent(e)
      },
      finish: (r = {}) => resolve({ exitCode: 0, outcome, error: null, helperRan: ran, ...r }),
      cancel: vi.fn<() => void>(),
    }
    this.runs.push(run)
    return { command: this.command(), done, cancel: run.cancel }
  }
  get last(): FakeRun {
    return this.runs.at(-1)!
  }
}

export class FakeWatcher extends EventEmitter implements WatcherLike {
  stop = vi.fn(async () => undefined)
  setDrives = vi.fn()
  connect(drive: DriveConfig, atStart = false): void {
    this.emit('driveConnected', { drive, device: '/dev/sdb1', at: new Date(), atStart })
  }
  remove(drive: DriveConfig): void {
    this.emit('driveRemoved', { drive, at: new Date() })
  }
}

export function fakeNotifier(answer: NotifyOutcome = { kind: 'closed' }) {
  const n = {
    answer,
    driveConnected: vi.fn(async (_d: string) => n.answer),
    backupDone: vi.fn(async (_d: string): Promise<NotifyOutcome> => ({ kind: 'closed' })),
    failed: vi.fn(async (_d: string, _r: string): Promise<NotifyOutcome> => ({ kind: 'closed' })),
    stale: vi.fn(async (_d: string, _n: number): Promise<NotifyOutcome> => ({ kind: 'closed' })),
    driveRemoved: vi.fn(async (_d: string) => undefined),
  }
  return n satisfies NotifierLike
}

/** Answers zpool list / zfs list as a normal user would see them. */
export function fakeRunner(over: { imported?: string[]; snapshots?: string[] } = {}): Runner & { calls: string[][] } {
  const calls: string[][] = []
  return {
    calls,
    async run(argv): Promise<CommandResult> {
      calls.push([...argv])
      let stdout = ''
      if (argv[0] === 'zpool' && argv[1] === 'list') stdout = (over.imported ?? []).map((g) => `backup\t${g}\tONLINE\t100\t10\t90\toff\t-\n`).join('')
      if (argv[0] === 'zfs' && argv.includes('snapshot')) {
        stdout = (over.snapshots ?? []).map((s, i) => `rpool/home@${s}\t${1000 + i}\t${10 + i}\t${1_700_000_000 + i * 3600}\n`).join('')
      }
      return { argv, exitCode: 0, stdout, stderr: '', durationMs: 1 }
    },
  }
}

const at = (): string => new Date().toISOString()

const poolState: Record<string, 'imported' | 'exported' | 'powered-off'> = { import: 'imported', export: 'exported', 'power-off': 'powered-off' }

/** A backup run's events as the helper streams them. */
export function backupEvents(drive = 'T7'): RunEvent[] {
  const steps = ['preflight', 'import', 'plan', 'replicate', 'prune', 'verify', 'export', 'power-off']
  return [
    { type: 'run-started', runId: 'r1', verb: 'backup', drive, steps: steps.map((id) => ({ id, title: id })), at: at() },
    ...steps.flatMap((step, index): RunEvent[] => [
      { type: 'step-started', step, index, at: at() },
      ...(step === 'import' ? [{ type: 'command', step, argv: ['zpool', 'import', '-d', '/dev/disk/by-id', '-N', GUID] } as RunEvent] : []),
      ...(step === 'replicate' ? [{ type: 'progress', step, bytes: 50, totalBytes: 100, bytesPerSecond: 10, etaSeconds: 5 } as RunEvent, { type: 'progress', step, bytes: 100, totalBytes: 100, bytesPerSecond: 10, etaSeconds: 0 } as RunEvent] : []),
      ...(step === 'verify' ? [{ type: 'replicated', source: 'rpool/home', target: 'backup/home', snapshot: 'autosnap_2', guid: '1' } as RunEvent] : []),
      ...(poolState[step] ? [{ type: 'pool-state', drive, state: poolState[step] } as RunEvent] : []),
      { type: 'step-finished', step, outcome: 'ok', durationMs: 1 },
    ]),
    { type: 'run-finished', outcome: 'succeeded', durationMs: 10, at: at(), bytes: 100 },
  ]
}

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r))
