// The tray window with no Electron: the built renderer in Chromium, with `window.zfsBackup` provided by
// handlers that live in Node. Bind them to a fake coordinator on the host, or to the real main-process
// handlers (main/app/coordinator.ts) inside the test VM; requests and replies are validated against the
// contract exactly as the preload does, so the page cannot tell the difference.
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright'
import { API_KEY, eventContract, invokeContract, type EventChannel, type EventPayload, type InvokeChannel } from '../../preload/contract'
import { serveRenderer, type RendererServer } from './serve'

export interface WindowHandlers {
  /** One invoke from the page, already validated; the answer is validated on the way back. */
  invoke(channel: InvokeChannel, request: unknown): unknown
  /** Called once the page is loaded; push events with `push`. May return an unsubscribe function. */
  subscribe(push: <C extends EventChannel>(channel: C, payload: EventPayload<C>) => void): (() => void) | void
}

export interface OpenOptions {
  /** Where screenshot() writes; default test-results/e2e. */
  artifactsDir?: string
  colorScheme?: 'light' | 'dark'
  viewport?: { width: number; height: number }
  /** A renderer already being served (to share one build between windows). */
  server?: RendererServer
  chromiumPath?: string
}

export interface WindowHandle {
  page: Page
  url: string
  /** Saves <name>-light.png and <name>-dark.png (full page) and returns their paths. */
  screenshot(name: string, options?: { themes?: ('light' | 'dark')[]; width?: number }): Promise<string[]>
  /** Resolves once every event pushed so far has reached the page. */
  flush(): Promise<void>
  /** Errors the page logged or threw, for the test to assert on. */
  pageErrors: string[]
  close(): Promise<void>
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

const INVOKE = '__zfsBackupInvoke'
const EMIT = '__zfsBackupEmit'

export async function openWindow(handlers: WindowHandlers, options: OpenOptions = {}): Promise<WindowHandle> {
  const artifactsDir = options.artifactsDir ?? resolve(import.meta.dirname, '../../test-results/e2e')
  await mkdir(artifactsDir, { recursive: true })
  const ownServer = options.server ? null : await serveRenderer()
  const server = options.server ?? ownServer!
  let browser: Browser | null = null
  let unsubscribe: (() => void) | void = undefined
  try {
    browser = await chromium.launch({ executablePath: options.chromiumPath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true })
    const context: BrowserContext = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: options.viewport ?? { width: 960, height: 720 }, reducedMotion: 'reduce' })
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text())
    })

    await page.exposeFunction(INVOKE, async (channel: string, request: unknown) => {
      if (!Object.hasOwn(invokeContract, channel)) throw new Error(`unknown channel ${channel}`)
      const spec = invokeContract[channel as InvokeChannel]
      const checked = spec.request.parse(request)
      const answer = await handlers.invoke(channel as InvokeChannel, checked)
      return spec.response.parse(answer)
    })
    // What the sandboxed preload exposes, rebuilt on top of the binding: invoke and on, nothing else.
    await page.addInitScript(
      ({ key, invokeName, emitName }) => {
        const w = window as unknown as Record<string, unknown>
        const invoke = w[invokeName] as (c: string, r: unknown) => Promise<unknown>
        const listeners = new Map<string, Set<(p: unknown) => void>>()
        w[emitName] = (channel: string, payload: unknown) => {
          for (const l of listeners.get(channel) ?? []) l(payload)
        }
        w[key] = Object.freeze({
          invoke: (channel: string, request: unknown) => invoke(channel, request),
          on(channel: string, listener: (p: unknown) => void) {
            let set = listeners.get(channel)
            if (!set) listeners.set(channel, (set = new Set()))
            set.add(listener)
            return () => set.delete(listener)
          },
        })
      },
      { key: API_KEY, invokeName: INVOKE, emitName: EMIT },
    )

    await page.goto(server.url)
    await page.waitForFunction(() => document.querySelector('#root')?.childElementCount)

    // Events keep their order: each push waits for the one before it.
    let queue: Promise<void> = Promise.resolve()
    const push = <C extends EventChannel>(channel: C, payload: EventPayload<C>) => {
      const checked = eventContract[channel].parse(payload)
      queue = queue.then(() => page.evaluate(([c, p, emit]) => (window as unknown as Record<string, (c: string, p: unknown) => void>)[emit]!(c, p), [channel, checked, EMIT] as const)).catch((e: unknown) => {
        if (!page.isClosed()) pageErrors.push(`push ${channel}: ${String(e)}`)
      })
    }
    unsubscribe = handlers.subscribe(push)

    const b = browser
    return {
      page,
      url: server.url,
      pageErrors,
      flush: () => queue,
      async screenshot(name, opts = {}) {
        await queue
        const themes = opts.themes ?? ['light', 'dark']
        const size = page.viewportSize()
        if (opts.width && size) await page.setViewportSize({ width: opts.width, height: size.height })
        const paths: string[] = []
        for (const theme of themes) {
          await page.emulateMedia({ colorScheme: theme })
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
          const path = join(artifactsDir, `${name}-${theme}.png`)
          await page.screenshot({ path, fullPage: true, animations: 'disabled' })
          paths.push(path)
        }
        await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light' })
        if (opts.width && size) await page.setViewportSize(size)
        return paths
      },
      async close() {
        if (typeof unsubscribe === 'function') unsubscribe()
        await b.close()
        await ownServer?.close()
      },
    }
  } catch (err) {
    if (typeof unsubscribe === 'function') unsubscribe()
    await browser?.close()
    await ownServer?.close()
    throw err
  }
}
