import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { lockDown, windowOptions } from '../../main/app/window'
import { trayMenu } from '../../main/app/tray-menu'

vi.mock('electron', () => ({}))

describe('tray window', () => {
  it('runs the page isolated and sandboxed without Node', () => {
    const prefs = windowOptions('/app/preload.js').webPreferences!
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false })
    expect(prefs.preload).toBe('/app/preload.js')
    expect(prefs).not.toHaveProperty('nodeIntegrationInSubFrames', true)
    expect(prefs).not.toHaveProperty('webSecurity', false)
    expect(prefs).not.toHaveProperty('allowRunningInsecureContent', true)
  })

  it('the page carries a strict CSP: scripts only from the app itself, nothing inline or remote', () => {
    const html = readFileSync('renderer/index.html', 'utf8')
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? ''
    expect(csp).toMatch(/default-src 'self'/)
    expect(csp).toMatch(/script-src 'self'(;|$)/)
    expect(csp).toMatch(/object-src 'none'/)
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:/)
  })

  it('blocks webview attachment', () => {
    const on = vi.fn()
    lockDown({ setWindowOpenHandler: () => undefined, on } as never)
    const attach = on.mock.calls.find(([name]) => name === 'will-attach-webview')![1]
    const preventDefault = vi.fn()
    attach({ preventDefault })
    expect(preventDefault).toHaveBeenCalled()
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
    const actions = { backupNow: vi.fn(), eject: vi.fn(), scrub: vi.fn(), openWindow: vi.fn(), quit: vi.fn() }
    const items = trayMenu(actions, { canBackUp: true, canEject: false, canScrub: false })
    const labels = items.filter((i) => i.label).map((i) => i.label)
    expect(labels).toEqual(['Back up now', 'Eject drive', 'Scrub drive', 'Open window', 'Quit'])
    items.find((i) => i.label === 'Back up now')!.click!({} as never, undefined, {} as never)
    expect(actions.backupNow).toHaveBeenCalled()
    expect(items.find((i) => i.label === 'Eject drive')!.enabled).toBe(false)
  })
})

describe('the page the window loads and trusts', () => {
  it('is the bundled file as a file: URL, encoded, even from a folder with a space', async () => {
    const { pageUrl } = await import('../../main/app/window')
    const url = pageUrl({ packaged: true, env: {}, indexHtml: '/opt/ZFS Drive Backup/resources/app.asar/out/renderer/index.html' })
    expect(url).toBe('file:///opt/ZFS%20Drive%20Backup/resources/app.asar/out/renderer/index.html')
  })

  it('ignores ELECTRON_RENDERER_URL when packaged; from source it may name a local dev server only', async () => {
    const { pageUrl } = await import('../../main/app/window')
    const indexHtml = '/opt/app/index.html'
    expect(pageUrl({ packaged: true, env: { ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, indexHtml })).toBe('file:///opt/app/index.html')
    expect(pageUrl({ packaged: false, env: { ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, indexHtml })).toBe('http://localhost:5173/')
    expect(pageUrl({ packaged: false, env: { ELECTRON_RENDERER_URL: 'https://evil.example/' }, indexHtml })).toBe('file:///opt/app/index.html')
  })

  it('trusts the frame of the packaged page in a folder with a space (compared parsed, not as text)', async () => {
    const { senderIs } = await import('../../main/app/ipc')
    const { pageUrl } = await import('../../main/app/window')
    const page = pageUrl({ packaged: true, env: {}, indexHtml: '/opt/ZFS Drive Backup/resources/app.asar/out/renderer/index.html' })
    const event = (url: string) => ({ sender: { id: 7 }, senderFrame: { url, parent: null } }) as never
    const check = senderIs(() => 7, () => page)
    expect(check(event('file:///opt/ZFS%20Drive%20Backup/resources/app.asar/out/renderer/index.html#/history'))).toBe(true)
    expect(check(event('file:///opt/ZFS%20Drive%20Backup/resources/app.asar/out/renderer/other.html'))).toBe(false)
    expect(check(event('https://evil.example/opt/ZFS%20Drive%20Backup/resources/app.asar/out/renderer/index.html'))).toBe(false)
  })

  it('denies every permission the page asks for', async () => {
    const { denyPermissions } = await import('../../main/app/window')
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined
    let check: (() => boolean) | undefined
    denyPermissions({ setPermissionRequestHandler: (h: never) => void (request = h), setPermissionCheckHandler: (h: never) => void (check = h) } as never)
    const answers: boolean[] = []
    for (const p of ['media', 'notifications', 'geolocation', 'openExternal']) request!({}, p, (ok) => answers.push(ok))
    expect(answers).toEqual([false, false, false, false])
    expect(check!()).toBe(false)
  })
})
