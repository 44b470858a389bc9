// Issue 15 through the coordinator with a fake helper: the key rehearsal reminder on the card and as a
// quiet notification when the drive is plugged in; the passphrase goes only to the helper's stdin; grant,
// hand snapshots and the snapshot-before-backup switch become fixed helper jobs or a config change.
import { readFileSync, writeFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCoordinator } from '../../../main/app/coordinator'
import { parseConfig } from '../../../main/config/load'
import { fakeNotifier, fakeRunner, FakeLauncher, FakeWatcher, flush, tempFiles } from './fakes'

function setup() {
  const files = tempFiles()
  const launcher = new FakeLauncher()
  const watcher = new FakeWatcher()
  const notifier = { ...fakeNotifier(), keyCheck: vi.fn(async (_d: string, _n: number | null) => ({ kind: 'closed' })) }
  const c = createCoordinator({
    configPath: files.configPath, historyPath: files.historyPath, launcher, runner: fakeRunner(), notifier,
    startWatcher: async (_d, listen) => (listen(watcher), watcher),
    availableVerbs: ['backup', 'verify-key', 'delegation-grant', 'snapshot-create', 'snapshot-destroy'],
    log: () => undefined,
  })
  const cfg = () => parseConfig(JSON.parse(readFileSync(files.configPath, 'utf8')))
  return { c, files, launcher, watcher, notifier, cfg }
}

afterEach(() => vi.useRealTimers())

describe('key rehearsal in the app', () => {
  it('due: the card says so, and plugging the drive in sends one quiet notification', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T12:00:00Z') })
    const t = setup()
    const old = { id: 'x', verb: 'backup', drive: 'T7', startedAt: '2026-08-01T10:00:00.000Z', finishedAt: '2026-08-01T10:10:00.000Z', outcome: 'succeeded', durationMs: 1, bytes: 1, steps: [], warnings: [], error: null, replicated: [] }
    writeFileSync(t.files.historyPath, JSON.stringify(old) + '\n')
    await t.c.start()
    expect(t.c.state().drives[0]!.keyCheck).toMatchObject({ due: true, lastProvenAt: null, everyDays: 90 })
    expect(t.notifier.keyCheck).not.toHaveBeenCalled()
    t.watcher.connect(t.cfg().drives[0]!)
    expect(t.notifier.keyCheck).toHaveBeenCalledWith('T7', 122)
    t.watcher.remove(t.cfg().drives[0]!)
    t.watcher.connect(t.cfg().drives[0]!)
    expect(t.notifier.keyCheck).toHaveBeenCalledTimes(1)
    await t.c.dispose()
  })

  it('the check: the passphrase is handed to the helper\'s stdin only, never into the job or the state', async () => {
    const t = setup()
    await t.c.start()
    expect(await t.c['key:verify']({ drive: 'T7', passphrase: 'line\nbreak' })).toMatchObject({ accepted: false })
    expect(await t.c['key:verify']({ drive: 'T7', passphrase: 'correct horse' })).toEqual({ accepted: true })
    expect(t.launcher.last.job).toEqual({ verb: 'verify-key', configPath: t.files.configPath, drive: 'T7' })
    expect(t.launcher.last.secret).toBe('correct horse')
    expect(JSON.stringify(t.c.state())).not.toContain('correct horse')
  })
})

describe('the guide\'s section 10 as helper jobs', () => {
  it('grant names no user or permission; hand snapshots only of a configured source, delete only with the name typed', async () => {
    const t = setup()
    await t.c.start()
    const source = t.cfg().sources[0]!.dataset
    expect(await t.c['delegation:grant']({})).toEqual({ accepted: true })
    expect(t.launcher.last.job).toEqual({ verb: 'delegation-grant', configPath: t.files.configPath })
    t.launcher.last.finish()
    await flush()
    expect(await t.c['snapshot:create']({ source: 'rpool/other', name: 'x' })).toMatchObject({ accepted: false, reason: 'rpool/other is not a configured source.' })
    expect(await t.c['snapshot:create']({ source, name: 'autosnap_x_hourly' })).toMatchObject({ accepted: false })
    expect(await t.c['snapshot:destroy']({ snapshot: `${source}@before`, confirm: 'befor' })).toMatchObject({ accepted: false, reason: 'Type the snapshot’s name (before) to delete it.' })
    expect(t.launcher.runs).toHaveLength(1)
    expect(await t.c['snapshot:destroy']({ snapshot: `${source}@before`, confirm: 'before' })).toEqual({ accepted: true })
    expect(t.launcher.last.job).toEqual({ verb: 'snapshot-destroy', configPath: t.files.configPath, snapshot: `${source}@before`, confirm: 'before' })
  })

  it('snapshot before backing up is saved per source and survives re-choosing the sources', async () => {
    const t = setup()
    await t.c.start()
    const source = t.cfg().sources[0]!.dataset
    expect(await t.c['source:snapshot-before-backup']({ dataset: source, enabled: true })).toEqual({ accepted: true })
    expect(t.cfg().sources[0]!.snapshotBeforeBackup).toBe(true)
    await t.c['sources:set']({ datasets: [source], allowUnencrypted: [] })
    expect(t.cfg().sources[0]!.snapshotBeforeBackup).toBe(true)
    await vi.waitFor(() => expect(t.c.state().sources[0]!.snapshotBeforeBackup).toBe(true))
  })
})
