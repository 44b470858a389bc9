import { describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import { TrayController, trayView } from '../../../main/app/tray'
import type { AppState, DriveStatus } from '../../../preload/contract'

vi.mock('electron', () => ({}))

const drive = (over: Partial<DriveStatus> = {}): DriveStatus => ({
  name: 'T7', pool: 'backup', presence: 'absent', lastBackupAt: '2026-11-26T10:00:00.000Z', stale: false, staleAfterDays: 7, lastScrub: null, scrubDue: false,
  snapshots: { sourceNewest: null, driveNewest: null, missingOnDrive: null }, busyHolders: null,
  canBackUp: { ok: false, reason: 'Plug in “T7”.' }, canEject: { ok: false, reason: 'The drive is not connected.' }, ...over,
})
const state = (over: Partial<AppState> = {}, d: Partial<DriveStatus> = {}): AppState => ({ configured: true, sources: [], drives: [drive(d)], run: null, lastRun: null, restore: null, ...over })
const running = (bytes: number): AppState['run'] => ({
  id: 'r', verb: 'backup', drive: 'T7', steps: [{ id: 'replicate', title: 'Send new snapshots', outcome: 'running' }], stepIndex: 0, command: ['syncoid'],
  progress: { bytes, totalBytes: 200, bytesPerSecond: 1, etaSeconds: 1 }, stalled: false, startedAt: '2026-11-27T10:00:00.000Z', cancellable: true,
})

describe('tray icon per state', () => {
  it.each([
    ['idle', state()],
    ['connected', state({}, { presence: 'connected', canBackUp: { ok: true }, canEject: { ok: true } })],
    ['running', state({ run: running(84) }, { presence: 'imported' })],
    ['done', state({}, { presence: 'poweredOff' })],
    ['error', state({ lastRun: { id: 'x', verb: 'backup', drive: 'T7', startedAt: '', finishedAt: '', outcome: 'failed', durationMs: 1, bytes: 0, steps: [], warnings: [], error: { code: 'x', message: 'syncoid failed' }, replicated: [] } })],
    ['error', state({}, { presence: 'imported', busyHolders: [{ pid: 1, command: 'bash', path: '/mnt' }] })],
    ['stale', state({}, { stale: true })],
  ] as const)('%s', (icon, s) => {
    expect(trayView(s).icon).toBe(icon)
  })

  it('shows the percentage while running, and "safe to unplug" when done', () => {
    expect(trayView(state({ run: running(84) })).tooltip).toBe('ZFS Drive Backup — Backing up to T7 — 42 % (Send new snapshots)')
    expect(trayView(state({}, { presence: 'poweredOff' })).tooltip).toMatch(/safe to unplug/)
  })
})

describe('tray controller', () => {
  function make(scrubAvailable = false) {
    let click: (() => void) | undefined
    const tray = { setImage: vi.fn(), setToolTip: vi.fn(), setContextMenu: vi.fn(), on: vi.fn((_e: 'click', l: () => void) => (click = l)) }
    const actions = { backupNow: vi.fn(), eject: vi.fn(), scrub: vi.fn(), openWindow: vi.fn(), quit: vi.fn() }
    let template: MenuItemConstructorOptions[] = []
    const buildMenu = vi.fn((t: MenuItemConstructorOptions[]) => (template = t))
    const c = new TrayController({ tray, buildMenu, iconPath: (n) => `/assets/tray-${n}.png`, actions, scrubAvailable })
    return { c, tray, actions, item: (label: string) => template.find((i) => i.label === label)!, click: () => click!(), buildMenu }
  }

  it('menu items call the right services and are enabled as AppState says', () => {
    const t = make(true)
    t.c.update(state())
    expect(t.tray.setImage).toHaveBeenLastCalledWith('/assets/tray-idle.png')
    expect(t.item('Back up now').enabled).toBe(false)
    expect(t.item('Eject drive').enabled).toBe(false)
    expect(t.item('Scrub drive').enabled).toBe(false)

    t.c.update(state({}, { presence: 'connected', canBackUp: { ok: true }, canEject: { ok: true } }))
    expect(t.tray.setImage).toHaveBeenLastCalledWith('/assets/tray-connected.png')
    for (const [label, action] of [['Back up now', 'backupNow'], ['Eject drive', 'eject'], ['Scrub drive', 'scrub'], ['Open window', 'openWindow'], ['Quit', 'quit']] as const) {
      expect(t.item(label).enabled).not.toBe(false)
      t.item(label).click!({} as never, undefined, {} as never)
      expect(t.actions[action]).toHaveBeenCalledTimes(1)
    }
  })

  it('scrub stays disabled while its engine is not available', () => {
    const t = make(false)
    t.c.update(state({}, { presence: 'connected', canBackUp: { ok: true }, canEject: { ok: true } }))
    expect(t.item('Scrub drive').enabled).toBe(false)
  })

  it('a click opens the window; progress updates the tooltip without rebuilding the menu every tick', () => {
    const t = make()
    t.click()
    expect(t.actions.openWindow).toHaveBeenCalled()
    t.c.update(state({ run: running(20) }, { presence: 'imported' }))
    const builds = t.buildMenu.mock.calls.length
    t.c.update(state({ run: running(20.5) }, { presence: 'imported' }))
    expect(t.buildMenu.mock.calls.length).toBe(builds)
    t.c.update(state({ run: running(60) }, { presence: 'imported' }))
    expect(t.tray.setToolTip).toHaveBeenLastCalledWith(expect.stringContaining('30 %'))
    expect(t.tray.setImage).toHaveBeenCalledTimes(1)
  })
})
