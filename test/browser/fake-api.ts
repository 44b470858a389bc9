// A BackupApi for the views: answers from a table, records every call, and lets a test push events.
// Requests and payloads are checked against the contract like the preload does, so a fixture or view
// that breaks the contract fails here rather than in main.
import { AppState, eventContract, invokeContract, type BackupApi, type DriveStatus, type EventChannel, type EventPayload, type InvokeChannel, type Request, type Response, type RunRecord, type RunStatus } from '../../preload/contract'

type Answer<C extends InvokeChannel> = Response<C> | ((request: Request<C>) => Response<C> | Promise<Response<C>>)
export type Answers = { [C in InvokeChannel]?: Answer<C> }

const defaults: Omit<Answers, 'state:get'> = {
  'doctor:get': [],
  'sources:list': [],
  'history:list': [],
  'snapshots:list': { source: [], drive: null, timelines: [] },
  'diff:get': { entries: [] },
  'disks:list': [],
  'folder:choose': null,
  'desktop:get': { startAtLogin: false, trayHost: true, noTrayHint: null },
  'delegation:get': { user: 'eds', root: false, sources: [], needs: [{ permission: 'diff', use: 'zfs diff (what changed between snapshots)' }] },
}

export interface FakeApi {
  api: BackupApi
  calls: { channel: InvokeChannel; request: unknown }[]
  callsTo<C extends InvokeChannel>(channel: C): Request<C>[]
  push<C extends EventChannel>(channel: C, payload: EventPayload<C>): void
  setState(state: AppState): void
}

export function fakeApi(initial: AppState, answers: Answers = {}): FakeApi {
  let state = AppState.parse(initial)
  const calls: FakeApi['calls'] = []
  const listeners = new Map<EventChannel, Set<(p: never) => void>>()
  const api: BackupApi = {
    async invoke(channel, request) {
      const checked = invokeContract[channel].request.parse(request)
      calls.push({ channel, request: checked })
      if (channel === 'state:get') return state as never
      const a = (answers as Record<string, unknown>)[channel] ?? (defaults as Record<string, unknown>)[channel] ?? { accepted: true }
      const value = typeof a === 'function' ? await (a as (r: unknown) => unknown)(checked) : a
      return invokeContract[channel].response.parse(value) as never
    },
    on(channel, listener) {
      let set = listeners.get(channel)
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(listener as never)
      return () => set.delete(listener as never)
    },
  }
  const push: FakeApi['push'] = (channel, payload) => {
    const checked = eventContract[channel].parse(payload)
    for (const l of listeners.get(channel) ?? []) l(checked as never)
  }
  return {
    api,
    calls,
    callsTo: (channel) => calls.filter((c) => c.channel === channel).map((c) => c.request as never),
    push,
    setState(s) {
      state = AppState.parse(s)
      push('state:changed', state)
    },
  }
}

export const NOW = new Date('2025-03-10T12:00:00Z')
export const now = () => NOW
export const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString()
export const DAY = 86_400_000

export function drive(over: Partial<DriveStatus> = {}): DriveStatus {
  return {
    name: 'T7',
    pool: 'backup',
    presence: 'connected',
    lastBackupAt: ago(3 * DAY),
    stale: false,
    staleAfterDays: 7,
    lastScrub: null,
    scrubDue: false,
    snapshots: { sourceNewest: 'rpool/nixos/home@autosnap_2025-03-10_11:00:00_hourly', driveNewest: 'rpool/nixos/home@autosnap_2025-03-07_09:00:00_hourly', missingOnDrive: 2 },
    busyHolders: null,
    canBackUp: { ok: true },
    canEject: { ok: false, reason: 'The pool is not imported.' },
    ...over,
  }
}

export function appState(over: Partial<AppState> = {}): AppState {
  return { configured: true, sources: [{ dataset: 'rpool/nixos/home', allowUnencrypted: false }], drives: [drive()], run: null, lastRun: null, restore: null, ...over }
}

const steps = [
  ['plan', 'Plan the transfer'],
  ['import', 'Import the drive’s pool'],
  ['replicate', 'Replicate rpool/nixos/home'],
  ['verify', 'Verify the copy is encrypted'],
  ['export', 'Export the pool'],
  ['power-off', 'Power the drive off'],
] as const

export function runStatus(over: Partial<RunStatus> = {}): RunStatus {
  return {
    id: 'run-1',
    verb: 'backup',
    drive: 'T7',
    steps: steps.map(([id, title], i) => ({ id, title, outcome: i < 2 ? 'ok' : i === 2 ? 'running' : 'pending' })),
    stepIndex: 2,
    command: ['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', 'rpool/nixos/home', 'backup/home'],
    progress: { bytes: 1024 ** 3, totalBytes: 4 * 1024 ** 3, bytesPerSecond: 50 * 1024 ** 2, etaSeconds: 62 },
    stalled: false,
    startedAt: ago(60_000),
    cancellable: true,
    ...over,
  }
}

export function runRecord(over: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'rec-1',
    verb: 'backup',
    drive: 'T7',
    startedAt: ago(DAY),
    finishedAt: ago(DAY - 95_000),
    outcome: 'succeeded',
    durationMs: 95_000,
    bytes: 3 * 1024 ** 3,
    steps: [
      { id: 'import', title: 'Import the drive’s pool', outcome: 'ok', durationMs: 2000, commands: [['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '1234567890']] },
      { id: 'replicate', title: 'Replicate rpool/nixos/home', outcome: 'ok', durationMs: 90_000, commands: [['syncoid', '--sendoptions=w', 'rpool/nixos/home', 'backup/home']] },
      { id: 'export', title: 'Export the pool', outcome: 'ok', durationMs: 3000, commands: [['zpool', 'export', 'backup']] },
    ],
    warnings: [],
    error: null,
    replicated: [],
    ...over,
  }
}
