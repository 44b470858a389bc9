// The window's backup-on-plug switch, through the coordinator: the drive card shows the engine's answer
// (config and root's install together), flipping it starts the helper's auto job, and the app (not
// root) records "autoBackup" in the user's config from the helper's event.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { describe, expect, it, vi } from 'vitest'
import { createCoordinator, type CoordinatorDeps } from '../../../main/app/coordinator'
import type { AutoPaths } from '../../../main/engine/auto'
import type { RunEvent } from '../../../shared/events'
import { fakeNotifier, fakeRunner, FakeLauncher, FakeWatcher, flush, GUID, tempFiles } from './fakes'

vi.mock('electron', () => ({}))

const UID = 1000

function setup(over: Partial<CoordinatorDeps> & { config?: Record<string, unknown> } = {}) {
  const files = tempFiles(over.config)
  const d = mkdtempSync(join(tmpdir(), 'zdb-app-auto-'))
  const autoPaths: AutoPaths = { rulesDir: join(d, 'rules.d'), unitDir: join(d, 'system'), instanceDir: join(d, 'auto') }
  const launcher = new FakeLauncher()
  const watcher = new FakeWatcher()
  const notifier = fakeNotifier()
  const c = createCoordinator({
    configPath: files.configPath, historyPath: files.historyPath, launcher, runner: fakeRunner(), notifier,
    startWatcher: async (_drives, listen) => (listen(watcher), watcher),
    availableVerbs: ['backup', 'eject', 'auto'], log: () => undefined, uid: UID, autoPaths, ...over,
  })
  /** What root's half leaves behind (the helper is a fake here). */
  const install = () => {
    mkdirSync(autoPaths.instanceDir, { recursive: true })
    writeFileSync(join(autoPaths.instanceDir, `${UID}-${GUID}.json`), '{}')
  }
  return { c, files, launcher, watcher, notifier, install }
}

const at = () => new Date().toISOString()
const autoRun = (on: boolean): RunEvent[] => [
  { type: 'run-started', runId: 'a1', verb: 'auto', drive: 'T7', steps: [{ id: on ? 'install' : 'remove', title: 'Install' }], at: at() },
  { type: 'step-started', step: on ? 'install' : 'remove', index: 0, at: at() },
  { type: 'command', step: on ? 'install' : 'remove', argv: ['systemctl', 'daemon-reload'] },
  { type: 'auto-backup', drive: 'T7', on, unit: `zfs-drive-backup-auto@${UID}-${GUID}.service` },
  { type: 'step-finished', step: on ? 'install' : 'remove', outcome: 'ok', durationMs: 1 },
  { type: 'run-finished', outcome: 'succeeded', durationMs: 2, at: at(), bytes: 0 },
]

describe('the backup-on-plug switch', () => {
  it('off, then flipped: the helper gets the auto job; the app records autoBackup and the card shows it on', async () => {
    const t = setup()
    await t.c.start()
    expect(t.c.state().drives[0]!.autoBackup).toEqual({ on: false, note: null, canChange: { ok: true } })
    expect(await t.c['auto:set']({ drive: 'T7', enabled: true })).toEqual({ accepted: true })
    expect(t.launcher.last.job).toEqual({ verb: 'auto', configPath: t.files.configPath, drive: 'T7', on: true })
    // While it runs, the switch waits.
    expect(t.c.state().drives[0]!.autoBackup?.canChange.ok).toBe(false)
    t.install()
    for (const e of autoRun(true)) t.launcher.last.emit(e)
    t.launcher.last.finish()
    await vi.waitFor(() => expect(JSON.parse(readFileSync(t.files.configPath, 'utf8')).drives[0].autoBackup).toBe(true))
    await flush()
    expect(JSON.parse(readFileSync(t.files.configPath, 'utf8')).drives[0].autoBackup).toBe(true)
    expect(t.c.state().drives[0]!.autoBackup).toEqual({ on: true, note: null, canChange: { ok: true } })
    await t.c.dispose()
  })

  it('a run in progress, an unknown drive, or a helper without the verb: refused without a password prompt', async () => {
    const t = setup()
    await t.c.start()
    t.watcher.connect(JSON.parse(readFileSync(t.files.configPath, 'utf8')).drives[0])
    expect(await t.c['backup:start']({ drive: 'T7' })).toEqual({ accepted: true })
    expect(await t.c['auto:set']({ drive: 'T7', enabled: true })).toMatchObject({ accepted: false, reason: expect.stringMatching(/in progress/) })
    expect(await t.c['auto:set']({ drive: 'Other', enabled: true })).toMatchObject({ accepted: false })
    expect(t.launcher.runs.map((r) => r.job.verb)).toEqual(['backup'])
    await t.c.dispose()

    const old = setup({ availableVerbs: ['backup'] })
    await old.c.start()
    expect(old.c.state().drives[0]!.autoBackup?.canChange).toMatchObject({ ok: false, reason: expect.stringContaining('sudo zfs-drive-backup auto enable') })
    expect(await old.c['auto:set']({ drive: 'T7', enabled: true })).toMatchObject({ accepted: false })
    expect(old.launcher.runs).toHaveLength(0)
    await old.c.dispose()
  })
})

describe('who backs up on plug', () => {
  it('the service (config on and installed): the app starts no second run and asks nothing, even with autoBackupOnConnect', async () => {
    const cfg = JSON.parse(readFileSync(tempFiles().configPath, 'utf8'))
    const t = setup({ config: { autoBackupOnConnect: true, drives: [{ ...cfg.drives[0], autoBackup: true }] } })
    t.install()
    await t.c.start()
    expect(t.c.state().drives[0]!.autoBackup?.on).toBe(true)
    t.watcher.connect(JSON.parse(readFileSync(t.files.configPath, 'utf8')).drives[0])
    await flush()
    expect(t.launcher.runs).toHaveLength(0)
    expect(t.notifier.driveConnected).not.toHaveBeenCalled()
    await t.c.dispose()
  })

  it('the config says autoBackup but nothing is installed: the app behaves as without it (nobody else would back up), and the card says why', async () => {
    const cfg = JSON.parse(readFileSync(tempFiles().configPath, 'utf8'))
    const t = setup({ config: { drives: [{ ...cfg.drives[0], autoBackup: true }] } })
    await t.c.start()
    expect(t.c.state().drives[0]!.autoBackup).toMatchObject({ on: false, note: expect.stringMatching(/not installed/) })
    t.watcher.connect(JSON.parse(readFileSync(t.files.configPath, 'utf8')).drives[0])
    await flush()
    expect(t.notifier.driveConnected).toHaveBeenCalledWith('T7')
    await t.c.dispose()
  })
})
