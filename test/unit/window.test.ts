import { describe, expect, it, vi } from 'vitest'
import { lockDown, windowOptions } from '../../main/app/window'
import { trayMenu } from '../../main/app/tray-menu'

vi.mock('electron', () => ({}))

describe('tray window', () => {
  it('runs the page isolated and sandboxed without Node', () => {
    const prefs = windowOptions('/app/preload.js').webPreferences!
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false })
  })

  it('denies new windows and blocks navigation', () => {
    const on = vi.fn()
    let opener: (() => { action: string }) | undefined
    lockDown({ setWindowOpenHandler: (h: never) => void (opener = h), on } as never)
    expect(opener!()).toEqual({ action: 'deny' })
    const nav = on.mock.calls.find(([name]) => name === 'will-navigate')![1]
    const preventDefault = vi.fn()
    nav({ preventDefault })
    expect(preventDefault).toHaveBeenCalled()
  })

  it('offers every action in the tray menu, because a click may never arrive on Linux', () => {
    const actions = { backupNow: vi.fn(), eject: vi.fn(), openWindow: vi.fn(), quit: vi.fn() }
    const items = trayMenu(actions, { canBackUp: true, canEject: false })
    const labels = items.filter((i) => i.label).map((i) => i.label)
    expect(labels).toEqual(['Back up now', 'Eject drive', 'Open window', 'Quit'])
    items.find((i) => i.label === 'Back up now')!.click!({} as never, undefined, {} as never)
    expect(actions.backupNow).toHaveBeenCalled()
    expect(items.find((i) => i.label === 'Eject drive')!.enabled).toBe(false)
  })
})
