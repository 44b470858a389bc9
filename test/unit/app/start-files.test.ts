// The tray app starts whatever the state of its files, and shows what was wrong: a history it cannot
// read used to make start() reject, so the drive watcher never started.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createCoordinator } from '../../../main/app/coordinator'
import { AppState } from '../../../preload/contract'
import { fakeNotifier, fakeRunner, FakeLauncher, FakeWatcher, tempFiles } from './fakes'

vi.mock('electron', () => ({}))

function start(files: { configPath: string; historyPath: string }) {
  const watcher = new FakeWatcher()
  const startWatcher = vi.fn(async (_drives: unknown, listen: (w: FakeWatcher) => void) => (listen(watcher), watcher))
  const c = createCoordinator({ configPath: files.configPath, historyPath: files.historyPath, launcher: new FakeLauncher(), runner: fakeRunner(), notifier: fakeNotifier(), openWindow: vi.fn(), startWatcher, availableVerbs: ['backup'], log: () => undefined })
  return { c, startWatcher }
}

describe('the tray app starts whatever the state of its files', () => {
  it('an unreadable history (a folder): start() resolves, the watcher runs, the window says what is wrong', async () => {
    const files = tempFiles()
    mkdirSync(files.historyPath)
    const t = start(files)
    await expect(t.c.start()).resolves.toBeUndefined()
    expect(t.startWatcher).toHaveBeenCalled()
    const state = AppState.parse(t.c.state())
    expect(state.drives.map((d) => d.name)).toEqual(['T7'])
    expect(state.problems).toEqual([expect.stringMatching(/cannot read the history .*history\.jsonl/)])
  })

  it('a history of `null` lines and a config that is a folder: it starts unconfigured and says so', async () => {
    const files = tempFiles()
    writeFileSync(files.historyPath, 'null\nnull\n')
    const dir = join(files.configPath, '..', 'cfg.json')
    mkdirSync(dir)
    const t = start({ configPath: dir, historyPath: files.historyPath })
    await t.c.start()
    const state = AppState.parse(t.c.state())
    expect(state.configured).toBe(false)
    expect(state.problems).toEqual([expect.stringMatching(/config could not be loaded: .*is a folder/), expect.stringMatching(/skipped 2 damaged lines/)])
  })
})
