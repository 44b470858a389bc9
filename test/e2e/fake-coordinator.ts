// An in-memory stand-in for main's coordinator, for the host-side window test: it holds one drive, starts
// a backup when asked, and lets the test move the run forward step by step so each state can be
// screenshotted. It speaks only the contract, through the same WindowHandlers the real one would.
import type { AppState, EventChannel, EventPayload, InvokeChannel, RunEvent, RunRecord } from '../../preload/contract'
import type { WindowHandlers } from './harness'

type Push = <C extends EventChannel>(channel: C, payload: EventPayload<C>) => void

const STEPS = [
  { id: 'plan', title: 'Plan the transfer', argv: ['zfs', 'send', '-nvP', '-w', '-I', 'rpool/nixos/home@autosnap_2025-03-07_09:00:00_hourly', 'rpool/nixos/home@autosnap_2025-03-10_11:00:00_hourly'] },
  { id: 'import', title: 'Import the drive’s pool', argv: ['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '16687208306462386512'] },
  { id: 'replicate', title: 'Replicate rpool/nixos/home', argv: ['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', 'rpool/nixos/home', 'backup/home'] },
  { id: 'verify', title: 'Verify the copy is encrypted', argv: ['zfs', 'get', '-Hp', '-o', 'value', 'encryption,keystatus', 'backup/home'] },
  { id: 'export', title: 'Export the pool', argv: ['zpool', 'export', 'backup'] },
  { id: 'power-off', title: 'Power the drive off', argv: ['udisksctl', 'power-off', '-b', '/dev/disk/by-id/usb-Samsung_PSSD_T7_S5TNNS0W123456-0:0'] },
]

export const TOTAL = 3 * 1024 ** 3 + 300 * 1024 ** 2

export class FakeCoordinator implements WindowHandlers {
  calls: { channel: InvokeChannel; request: unknown }[] = []
  private push: Push | null = null
  private t = Date.now()
  private record: RunRecord | null = null
  state: AppState = {
    configured: true,
    sources: [{ dataset: 'rpool/nixos/home', allowUnencrypted: false }],
    drives: [
      {
        name: 'T7',
        pool: 'backup',
        presence: 'connected',
        lastBackupAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
        stale: false,
        staleAfterDays: 7,
        lastScrub: { at: new Date(Date.now() - 20 * 86_400_000).toISOString(), errors: 0, repairedBytes: 0 },
        scrubDue: false,
        snapshots: { sourceNewest: 'rpool/nixos/home@autosnap_2025-03-10_11:00:00_hourly', driveNewest: 'backup/home@autosnap_2025-03-07_09:00:00_hourly', missingOnDrive: 74 },
        busyHolders: null,
        canBackUp: { ok: true },
        canEject: { ok: true },
      },
    ],
    run: null,
    lastRun: null,
    restore: null,
  }

  subscribe(push: Push) {
    this.push = push
    return () => {
      this.push = null
    }
  }

  invoke(channel: InvokeChannel, request: unknown): unknown {
    this.calls.push({ channel, request })
    switch (channel) {
      case 'state:get':
        return this.state
      case 'backup:start':
        if (this.state.run) return { accepted: false, reason: 'A backup is running.' }
        this.start()
        return { accepted: true }
      case 'run:cancel':
        return { accepted: false, reason: 'Not in this fake.' }
      case 'history:list':
        return this.record ? [this.record] : []
      default:
        return { accepted: false, reason: `${channel} is not part of this walk` }
    }
  }

  private iso() {
    this.t += 1000
    return new Date(this.t).toISOString()
  }

  private event(e: RunEvent) {
    this.push?.('run:event', e)
  }

  private changed() {
    this.push?.('state:changed', structuredClone(this.state))
  }

  private start() {
    const d = this.state.drives[0]!
    d.canBackUp = { ok: false, reason: 'A backup is running.' }
    d.canEject = { ok: false, reason: 'Wait for the backup to finish.' }
    this.state.lastRun = null
    this.state.run = { id: 'run-e2e', verb: 'backup', drive: 'T7', steps: STEPS.map(({ id, title }) => ({ id, title, outcome: 'pending' })), stepIndex: 0, command: null, progress: null, stalled: false, startedAt: this.iso(), cancellable: true }
    this.record = { id: 'run-e2e', verb: 'backup', drive: 'T7', startedAt: this.state.run.startedAt, finishedAt: null, outcome: 'running', durationMs: 0, bytes: 0, steps: STEPS.map(({ id, title }) => ({ id, title, outcome: 'pending', durationMs: 0, commands: [] })), warnings: [], error: null, replicated: [] }
    this.event({ type: 'run-started', runId: 'run-e2e', verb: 'backup', drive: 'T7', steps: STEPS.map(({ id, title }) => ({ id, title })), at: this.state.run.startedAt })
    this.changed()
  }

  /** Runs steps up to (not including) `index`, then starts that step and its command. */
  advanceTo(index: number) {
    const run = this.state.run!
    for (let i = run.stepIndex; i < index; i++) this.finishStep(i)
    const s = STEPS[index]!
    run.stepIndex = index
    run.steps[index]!.outcome = 'running'
    run.command = s.argv
    run.progress = null
    run.stalled = false
    if (s.id === 'import') this.state.drives[0]!.presence = 'imported'
    this.record!.steps[index]!.commands.push(s.argv)
    this.event({ type: 'step-started', step: s.id, index, at: this.iso() })
    this.event({ type: 'command', step: s.id, argv: s.argv })
    this.changed()
  }

  private finishStep(i: number) {
    const run = this.state.run!
    if (run.steps[i]!.outcome === 'pending') {
      run.steps[i]!.outcome = 'running'
      this.record!.steps[i]!.commands.push(STEPS[i]!.argv)
      this.event({ type: 'step-started', step: STEPS[i]!.id, index: i, at: this.iso() })
      this.event({ type: 'command', step: STEPS[i]!.id, argv: STEPS[i]!.argv })
    }
    run.steps[i]!.outcome = 'ok'
    this.record!.steps[i]!.outcome = 'ok'
    this.record!.steps[i]!.durationMs = 1000
    this.event({ type: 'step-finished', step: STEPS[i]!.id, outcome: 'ok', durationMs: 1000 })
    if (STEPS[i]!.id === 'import') this.state.drives[0]!.presence = 'imported'
    if (STEPS[i]!.id === 'export') this.state.drives[0]!.presence = 'exported'
  }

  progress(bytes: number, bytesPerSecond: number | null, stalled = false) {
    const run = this.state.run!
    const etaSeconds = bytesPerSecond ? (TOTAL - bytes) / bytesPerSecond : null
    run.progress = { bytes, totalBytes: TOTAL, bytesPerSecond, etaSeconds }
    run.stalled = stalled
    this.event({ type: 'progress', step: STEPS[run.stepIndex]!.id, ...run.progress })
    this.changed()
  }

  finish() {
    const run = this.state.run!
    for (let i = run.stepIndex; i < STEPS.length; i++) this.finishStep(i)
    const at = this.iso()
    const durationMs = this.t - Date.parse(run.startedAt)
    const d = this.state.drives[0]!
    d.presence = 'poweredOff'
    d.lastBackupAt = at
    d.canBackUp = { ok: false, reason: 'Plug the drive in again to back up.' }
    d.canEject = { ok: false, reason: 'Already powered off.' }
    d.snapshots = { sourceNewest: d.snapshots.sourceNewest, driveNewest: 'backup/home@autosnap_2025-03-10_11:00:00_hourly', missingOnDrive: 0 }
    const replicated = { source: 'rpool/nixos/home', target: 'backup/home', snapshot: 'autosnap_2025-03-10_11:00:00_hourly', guid: '9876543210' }
    this.event({ type: 'replicated', ...replicated })
    this.event({ type: 'run-finished', outcome: 'succeeded', durationMs, at, bytes: TOTAL })
    this.record = { ...this.record!, finishedAt: at, outcome: 'succeeded', durationMs, bytes: TOTAL, replicated: [replicated] }
    this.state.run = null
    this.state.lastRun = this.record
    this.changed()
  }
}
