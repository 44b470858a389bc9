import { readFileSync, writeFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCoordinator, STALL_MS, type CoordinatorDeps } from '../../../main/app/coordinator'
import { AppState } from '../../../preload/contract'
import { backupEvents, fakeNotifier, fakeRunner, FakeLauncher, FakeWatcher, flush, GUID, tempFiles } from './fakes'

vi.mock('electron', () => ({}))

function setup(over: Partial<CoordinatorDeps> & { config?: Record<string, unknown> } = {}) {
  const files = tempFiles(over.config)
  const launcher = new FakeLauncher()
  const watcher = new FakeWatcher()
  const notifier = fakeNotifier()
  const openWindow = vi.fn()
  const c = createCoordinator({
    configPath: files.configPath, historyPath: files.historyPath, launcher, runner: fakeRunner(), notifier, openWindow,
    startWatcher: async (_drives, listen) => {
      listen(watcher)
      return watcher
    },
    availableVerbs: ['backup', 'eject'],
    log: () => undefined,
    ...over,
  })
  return { c, files, launcher, watcher, notifier, openWindow }
}

const drive = (c: ReturnType<typeof setup>['c']) => c.state().drives[0]!

afterEach(() => vi.useRealTimers())

describe('drive connected → notification → backup', () => {
  it('"Back up now" on the notification starts a backup of that drive through the helper', async () => {
    const t = setup()
    t.notifier.answer = { kind: 'action', action: 'backup' }
    await t.c.start()
    expect(drive(t.c).presence).toBe('absent')
    expect(drive(t.c).canBackUp).toEqual({ ok: false, reason: 'Plug in “T7”.' })
    t.watcher.connect((await import('../../../main/config/load')).parseConfig(JSON.parse(readFileSync(t.files.configPath, 'utf8'))).drives[0]!)
    await flush()
    expect(t.notifier.driveConnected).toHaveBeenCalledWith('T7')
    expect(t.launcher.runs).toHaveLength(1)
    expect(t.launcher.last.job).toEqual({ verb: 'backup', configPath: t.files.configPath, drive: 'T7' })
    // Before the helper starts (the password prompt), the run shows the exact command that asks.
    expect(t.c.state().run).toMatchObject({ verb: 'backup', drive: 'T7', steps: [], command: ['/usr/bin/pkexec', '/usr/lib/zfs-drive-backup/zfs-drive-backup-helper'] })
  })

  it('clicking the notification body opens the window instead', async () => {
    const t = setup()
    t.notifier.answer = { kind: 'action', action: 'open' }
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    await flush()
    expect(t.openWindow).toHaveBeenCalled()
    expect(t.launcher.runs).toHaveLength(0)
  })

  it('with autoBackupOnConnect, a plug-in starts the backup without asking', async () => {
    const t = setup({ config: { autoBackupOnConnect: true } })
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    await flush()
    expect(t.notifier.driveConnected).not.toHaveBeenCalled()
    expect(t.launcher.last.job.verb).toBe('backup')
  })
})

function cfgDrive(t: ReturnType<typeof setup>) {
  const raw = JSON.parse(readFileSync(t.files.configPath, 'utf8'))
  return { ...raw.drives[0], poolGuid: GUID }
}

describe('a run as the window sees it', () => {
  it('follows steps, commands and progress; presence goes imported → exported → powered off; history and "done" notification at the end', async () => {
    const t = setup()
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    await flush()
    expect(await t.c['backup:start']({ drive: 'T7' })).toEqual({ accepted: true })
    expect(await t.c['backup:start']({ drive: 'T7' })).toMatchObject({ accepted: false, reason: expect.stringMatching(/in progress/) })
    expect(await t.c['drive:eject']({ drive: 'T7' })).toMatchObject({ accepted: false })
    const events = backupEvents()
    const seen: string[] = []
    for (const e of events) {
      t.launcher.last.emit(e)
      const s = t.c.state()
      AppState.parse(s)
      if (e.type === 'command') expect(s.run!.command).toEqual(e.argv)
      if (e.type === 'progress') expect(s.run!.progress).toMatchObject({ bytes: e.bytes, totalBytes: 100 })
      if (e.type === 'step-started') expect(s.run!.stepIndex).toBe(e.index)
      if (e.type === 'step-finished' && ['import', 'export', 'power-off'].includes(e.step)) seen.push(drive(t.c).presence)
    }
    expect(seen).toEqual(['imported', 'exported', 'poweredOff'])
    t.launcher.last.finish()
    await vi.waitFor(() => expect(t.c.state().run).toBeNull())
    const s = t.c.state()
    expect(s.run).toBeNull()
    expect(s.lastRun).toMatchObject({ outcome: 'succeeded', verb: 'backup', drive: 'T7' })
    expect(drive(t.c)).toMatchObject({ presence: 'poweredOff', stale: false, canBackUp: { ok: false }, canEject: { ok: false, reason: 'Already safe to unplug.' } })
    expect(drive(t.c).lastBackupAt).not.toBeNull()
    expect(drive(t.c).snapshots.driveNewest).toBe('autosnap_2')
    expect(t.notifier.backupDone).toHaveBeenCalledWith('T7')
    const lines = readFileSync(t.files.historyPath, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(await t.c['history:list']({ limit: 5 })).toMatchObject([{ outcome: 'succeeded' }])
    // Powering off removes the disk's devices: the watcher reports a removal, the state stays "safe to unplug".
    t.watcher.remove(cfgDrive(t))
    expect(drive(t.c).presence).toBe('poweredOff')
    t.watcher.connect(cfgDrive(t))
    expect(drive(t.c).presence).toBe('connected')
  })

  it('marks the run stalled when no byte moved for 5 s, and clears it when bytes move again', async () => {
    vi.useFakeTimers()
    const t = setup()
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    expect(await t.c['backup:start']({ drive: 'T7' })).toEqual({ accepted: true })
    const [started, ...rest] = backupEvents()
    t.launcher.last.emit(started!)
    t.launcher.last.emit({ type: 'step-started', step: 'replicate', index: 3, at: new Date().toISOString() })
    t.launcher.last.emit({ type: 'progress', step: 'replicate', bytes: 10, totalBytes: 100, bytesPerSecond: 1, etaSeconds: 90 })
    vi.advanceTimersByTime(STALL_MS - 100)
    t.launcher.last.emit({ type: 'progress', step: 'replicate', bytes: 10, totalBytes: 100, bytesPerSecond: 0, etaSeconds: null })
    expect(t.c.state().run!.stalled).toBe(false)
    vi.advanceTimersByTime(200)
    expect(t.c.state().run!.stalled).toBe(true)
    // The same count again is not movement: the mark must not flicker off.
    t.launcher.last.emit({ type: 'progress', step: 'replicate', bytes: 10, totalBytes: 100, bytesPerSecond: 0, etaSeconds: null })
    expect(t.c.state().run!.stalled).toBe(true)
    t.launcher.last.emit({ type: 'progress', step: 'replicate', bytes: 20, totalBytes: 100, bytesPerSecond: 2, etaSeconds: 40 })
    expect(t.c.state().run!.stalled).toBe(false)
    expect(rest.length).toBeGreaterThan(0)
  })

  it('gives the receive side time to set up before the first byte; a drive never backed up is due', async () => {
    vi.useFakeTimers()
    const t = setup()
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    expect(drive(t.c)).toMatchObject({ lastBackupAt: null, stale: true })
    await t.c['backup:start']({ drive: 'T7' })
    t.launcher.last.emit(backupEvents()[0]!)
    t.launcher.last.emit({ type: 'step-started', step: 'replicate', index: 3, at: new Date().toISOString() })
    t.launcher.last.emit({ type: 'progress', step: 'replicate', bytes: 0, totalBytes: 100, bytesPerSecond: null, etaSeconds: null })
    vi.advanceTimersByTime(STALL_MS + 1000)
    expect(t.c.state().run!.stalled).toBe(false)
    vi.advanceTimersByTime(6 * STALL_MS)
    expect(t.c.state().run!.stalled).toBe(true)
  })

  it('cancel closes the helper\'s stdin, once', async () => {
    const t = setup()
    await t.c.start()
    expect(await t.c['run:cancel'](undefined)).toMatchObject({ accepted: false, reason: 'Nothing is running.' })
    t.watcher.connect(cfgDrive(t))
    await t.c['backup:start']({ drive: 'T7' })
    expect(await t.c['run:cancel'](undefined)).toEqual({ accepted: true })
    expect(await t.c['run:cancel'](undefined)).toMatchObject({ accepted: false })
    expect(t.launcher.last.cancel).toHaveBeenCalledTimes(1)
  })
})

describe('failures', () => {
  it('a busy eject names the holders in the drive status; a failed backup notifies with the reason', async () => {
    const t = setup()
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    await t.c['drive:eject']({ drive: 'T7' })
    expect(t.launcher.last.job).toMatchObject({ verb: 'eject', drive: 'T7' })
    const at = new Date().toISOString()
    t.launcher.last.emit({ type: 'run-started', runId: 'e1', verb: 'eject', drive: 'T7', steps: [{ id: 'export', title: 'Export' }, { id: 'power-off', title: 'Power off' }], at })
    t.launcher.last.emit({ type: 'step-started', step: 'export', index: 0, at })
    t.launcher.last.emit({ type: 'step-finished', step: 'export', outcome: 'failed', durationMs: 3 })
    t.launcher.last.emit({ type: 'error', code: 'pool-busy', message: 'Pool backup is busy: held by bash (42)', holders: [{ pid: 42, command: 'bash', path: '/mnt/backup' }] })
    t.launcher.last.emit({ type: 'run-finished', outcome: 'failed', durationMs: 5, at, bytes: 0 })
    t.launcher.last.finish({ exitCode: 1 })
    await vi.waitFor(() => expect(t.c.state().run).toBeNull())
    expect(drive(t.c).busyHolders).toEqual([{ pid: 42, command: 'bash', path: '/mnt/backup' }])
    expect(t.c.state().lastRun).toMatchObject({ verb: 'eject', outcome: 'failed', error: { code: 'pool-busy' } })

    await t.c['backup:start']({ drive: 'T7' })
    t.launcher.last.emit({ type: 'run-started', runId: 'b1', verb: 'backup', drive: 'T7', steps: [{ id: 'preflight', title: 'Check' }], at })
    t.launcher.last.emit({ type: 'error', code: 'syncoid-too-old', message: 'syncoid 2.1.0 is too old.' })
    t.launcher.last.emit({ type: 'run-finished', outcome: 'failed', durationMs: 5, at, bytes: 0 })
    t.launcher.last.finish({ exitCode: 1 })
    await vi.waitFor(() => expect(t.notifier.failed).toHaveBeenCalled())
    expect(t.notifier.failed).toHaveBeenCalledWith('T7', 'syncoid 2.1.0 is too old.')
  })

  it('a dismissed password prompt is a cancelled run without a failure notification; no polkit agent is a failure with the reason', async () => {
    const t = setup()
    await t.c.start()
    const runEvents: unknown[] = []
    t.c.onRunEvent((e) => runEvents.push(e))
    t.watcher.connect(cfgDrive(t))
    await t.c['backup:start']({ drive: 'T7' })
    t.launcher.last.finish({ exitCode: 126, helperRan: false, error: { code: 'auth-dismissed', message: 'The password prompt was dismissed, so nothing was run.' } })
    await vi.waitFor(() => expect(t.c.state().run).toBeNull())
    expect(t.c.state().lastRun).toMatchObject({ outcome: 'cancelled', error: { code: 'auth-dismissed' } })
    expect(t.notifier.failed).not.toHaveBeenCalled()
    expect(runEvents).toContainEqual(expect.objectContaining({ type: 'error', code: 'auth-dismissed' }))

    await t.c['backup:start']({ drive: 'T7' })
    t.launcher.last.finish({ exitCode: 127, helperRan: false, error: { code: 'auth-no-agent', message: 'No polkit authentication agent is running.' } })
    await vi.waitFor(() => expect(t.c.state().run).toBeNull())
    expect(t.c.state().lastRun).toMatchObject({ outcome: 'failed', error: { code: 'auth-no-agent' } })
    expect(t.notifier.failed).toHaveBeenCalledWith('T7', 'No polkit authentication agent is running.')
    AppState.parse(t.c.state())
    // Nothing ran as root: nothing goes to the history.
    expect(await t.c['history:list']({ limit: 5 })).toEqual([])
  })
})

describe('verbs and secrets', () => {
  it('verbs whose engine is not there yet are refused without a password prompt', async () => {
    const t = setup()
    await t.c.start()
    t.watcher.connect(cfgDrive(t))
    expect(await t.c['scrub:start']({ drive: 'T7' })).toEqual({ accepted: false, reason: 'Scrub is not available in this version yet.' })
    expect(t.launcher.runs).toHaveLength(0)
  })

  it('the restore passphrase goes to the launcher as the secret only, never into the job', async () => {
    const t = setup({ availableVerbs: ['backup', 'eject', 'restore-open'] })
    await t.c.start()
    expect(await t.c['restore:open']({ drive: 'T7', passphrase: 'two\nlines' })).toMatchObject({ accepted: false })
    expect(await t.c['restore:open']({ drive: 'T7', passphrase: 'correct horse' })).toEqual({ accepted: true })
    expect(t.launcher.last.secret).toBe('correct horse')
    expect(JSON.stringify(t.launcher.last.job)).not.toContain('correct horse')
    expect(JSON.stringify(t.c.state())).not.toContain('correct horse')
  })

  it('reads imported pools at start (zpool list works unprivileged) and lists source snapshots', async () => {
    const runner = fakeRunner({ imported: [GUID], snapshots: ['a', 'b', 'c'] })
    const t = setup({ runner })
    await t.c.start()
    expect(drive(t.c).presence).toBe('imported')
    // Imported: the drive's side is read too (the fake drive holds the same snapshots), so nothing is missing.
    expect(drive(t.c).snapshots).toEqual({ sourceNewest: 'c', driveNewest: 'c', missingOnDrive: 0 })
    const snaps = await t.c['snapshots:list']({ drive: 'T7' })
    expect(snaps.source.map((s) => s.name)).toEqual(['rpool/home@a', 'rpool/home@b', 'rpool/home@c'])
    // The pool is imported, so the drive's side is read too (zfs list works unprivileged).
    expect(snaps.drive).not.toBeNull()
    expect(snaps.timelines).toMatchObject([{ source: 'rpool/home', target: 'backup/home', rows: [{ snapshot: 'c', onSource: true, onDrive: true }, {}, {}] }])
    // Only reads: listings, and the one zfs get of the sources' sizes for the card's next backup.
    expect(runner.calls.every((a) => a[1] === 'list' || a[1] === 'get')).toBe(true)
  })
})

describe('stale reminder', () => {
  it('at most once a day, only for drives that were backed up before', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-27T12:00:00Z') })
    const t = setup()
    const old = { id: 'x', verb: 'backup', drive: 'T7', startedAt: '2026-11-01T10:00:00.000Z', finishedAt: '2026-11-01T10:10:00.000Z', outcome: 'succeeded', durationMs: 1, bytes: 1, steps: [], warnings: [], error: null, replicated: [] }
    writeFileSync(t.files.historyPath, JSON.stringify(old) + '\n')
    await t.c.start()
    expect(drive(t.c).stale).toBe(true)
    expect(t.notifier.stale).toHaveBeenCalledTimes(1)
    expect(t.notifier.stale).toHaveBeenCalledWith('T7', 26)
    vi.advanceTimersByTime(12 * 3600_000)
    expect(t.notifier.stale).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(12 * 3600_000 + 1000)
    expect(t.notifier.stale).toHaveBeenCalledTimes(2)
    await t.c.dispose()
  })
})

// Who backs up on plug (the service, or the app): test/unit/app/auto-switch.test.ts.

describe('a headless run that failed while nobody was there', () => {
  const run = (over: Record<string, unknown>) => JSON.stringify({
    id: 'r1', verb: 'backup', drive: 'T7', startedAt: '2026-11-30T03:00:00.000Z', finishedAt: '2026-11-30T03:01:00.000Z', outcome: 'failed', durationMs: 60000, bytes: 0,
    steps: [], warnings: [], error: { code: 'replication-failed', message: 'The drive was unplugged mid-transfer.' }, replicated: [], headless: true, notified: false, ...over,
  })

  it('is reported at the next app start, once, and shows as the last run', async () => {
    const t = setup()
    writeFileSync(t.files.historyPath, `${run({})}\n${run({ id: 'r2', notified: true })}\n`)
    await t.c.start()
    expect(t.notifier.failed).toHaveBeenCalledTimes(1)
    expect(t.notifier.failed).toHaveBeenCalledWith('T7', 'While you were away: The drive was unplugged mid-transfer.')
    expect(t.c.state().lastRun).toMatchObject({ id: 'r1', outcome: 'failed' })
    await t.c.dispose()

    const again = setup({ configPath: t.files.configPath, historyPath: t.files.historyPath })
    await again.c.start()
    expect(again.notifier.failed).not.toHaveBeenCalled()
    await again.c.dispose()
  })
})

describe('the backup-on-plug service\'s run, as the tray app shows it', () => {
  it('follows its events like a run of its own (not cancellable), records no second history entry, notifies nothing itself', async () => {
    let push: (e: import('../../../shared/events').RunEvent) => void = () => undefined
    const t = setup({ followHeadless: (onEvent) => ((push = onEvent), () => undefined) })
    await t.c.start()
    const events = backupEvents()
    push(events[0]!)
    expect(t.c.state().run).toMatchObject({ verb: 'backup', drive: 'T7', cancellable: false })
    expect(await t.c['backup:start']({ drive: 'T7' })).toMatchObject({ accepted: false, reason: expect.stringMatching(/in progress/) })
    const lastProgress = events.findLastIndex((e) => e.type === 'progress')
    for (const e of events.slice(1, lastProgress + 1)) push(e)
    expect(t.c.state().run?.progress).toMatchObject({ bytes: 100, totalBytes: 100 })
    for (const e of events.slice(lastProgress + 1, -1)) push(e)
    expect(drive(t.c).presence).toBe('poweredOff')
    push(events.at(-1)!)
    await flush()
    expect(t.c.state().run).toBeNull()
    expect(t.c.state().lastRun).toMatchObject({ outcome: 'succeeded', headless: true })
    expect(drive(t.c).lastBackupAt).not.toBeNull()
    expect(t.launcher.runs).toHaveLength(0)
    expect(t.notifier.backupDone).not.toHaveBeenCalled()
    expect(() => readFileSync(t.files.historyPath, 'utf8')).toThrow()
  })
})
