// A real backup from a click, with no Electron: the built renderer in Chromium on the host, its
// window.zfsBackup bound (rpc-client.ts) to the REAL main-process service running inside the test VM as
// root (guest-app.ts: coordinator, launcher running the built helper, drive watcher on udisks2), through a
// port QEMU forwards. The drive is hot-plugged by QMP, Back up now is clicked, and the walk goes
// not connected → connected → running with byte progress → done, "safe to unplug", with the drive really
// powered off in the guest. Screenshots of each state: test-results/e2e/vm-*.png.
//
// Run by test/vm/run-tests.ts after the guest's vm tier, while the same VM is up; it sets ZFSVM_E2E_*.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppState, RunRecord } from '../../preload/contract'
import { Vm } from '../vm/host/vm'
import { openWindow, type WindowHandle } from './harness'
import { bindRpc, type RpcHandlers } from './rpc-client'

const env = {
  sshPort: Number(process.env.ZFSVM_E2E_SSH_PORT ?? 0),
  rpcPort: Number(process.env.ZFSVM_E2E_RPC_PORT ?? 0),
  runDir: process.env.ZFSVM_E2E_RUN_DIR ?? '',
  guestEnv: process.env.ZFSVM_E2E_GUEST_ENV ?? '',
  project: process.env.ZFSVM_E2E_GUEST_PROJECT ?? '/opt/proj',
}
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveVm = env.sshPort > 0 && env.rpcPort > 0 && env.runDir !== ''
const artifacts = resolve(import.meta.dirname, '../../test-results/e2e')
const MIN = 60_000
/** Straight to stderr: a running log without vitest's per-line headers. */
const say = (m: string): void => void process.stderr.write(`[e2e] ${m}\n`)

interface Facts {
  byIdExists: boolean
  byId: string
  poolImported: boolean
  helper: string[]
  history: RunRecord[]
  sourceSnapshots: string[]
}

describe.skipIf(!haveVm || !existsSync(chromiumPath))('a real backup in the test VM, from a click on Back up now to "safe to unplug"', () => {
  let guest: ResultPromise | null = null
  let rpc: RpcHandlers
  let win: WindowHandle | null = null
  const timings: Record<string, number> = {}
  let t0 = Date.now()
  const mark = (what: string): void => {
    timings[what] = Date.now() - t0
    say(`${what} at ${(timings[what] / 1000).toFixed(1)} s`)
  }

  beforeAll(async () => {
    t0 = Date.now()
    mkdirSync(artifacts, { recursive: true })
    // Only sshArgs() is used: it needs the forwarded ssh port and the run folder (for the control socket).
    const vm = new Vm({ imageDir: '', runDir: env.runDir })
    vm.sshPort = env.sshPort
    guest = execa('ssh', [...vm.sshArgs(), `cd ${env.project} && env ${env.guestEnv} node node_modules/tsx/dist/cli.mjs test/e2e/guest-server.ts`], {
      stdin: 'ignore', stdout: 'pipe', stderr: 'inherit', reject: false, buffer: { stdout: false },
    })
    const ready = await new Promise<string>((resolveReady, reject) => {
      let buf = ''
      guest!.stdout!.setEncoding('utf8')
      guest!.stdout!.on('data', (chunk: string) => {
        buf += chunk
        const m = /^E2E-READY (.*)$/m.exec(buf)
        if (m) resolveReady(m[1]!)
      })
      void guest!.then((r) => reject(new Error(`the guest server exited (${r.exitCode}) before it was ready:\n${buf}`)))
    })
    mark('guest server ready')
    say(`guest: ${ready}`)
    rpc = bindRpc(`http://127.0.0.1:${env.rpcPort}`)
    win = await openWindow(rpc, { artifactsDir: artifacts })
    mark('window open')
  }, 20 * MIN)

  afterAll(async () => {
    if (rpc) writeFileSync(join(artifacts, 'vm-events.jsonl'), rpc.events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    writeFileSync(join(artifacts, 'vm-timings.json'), JSON.stringify(timings, null, 1) + '\n')
    await win?.close()
    if (guest) {
      await rpc?.call('POST', '/test/shutdown').catch(() => undefined)
      const timer = setTimeout(() => guest?.kill('SIGTERM'), 30_000)
      await guest
      clearTimeout(timer)
    }
  }, 2 * MIN)

  it('plugs the drive in, backs up from the click, and ends powered off — safe to unplug', async () => {
    try {
      await walk()
    } catch (err) {
      // What the window showed when it went wrong, next to the events and timings afterAll saves.
      await win?.screenshot('vm-failed', { themes: ['light'] }).catch(() => undefined)
      throw err
    }
  }, 30 * MIN)

  async function walk(): Promise<void> {
    const { page } = win!
    const state = async (): Promise<AppState> => (await rpc.invoke('state:get', undefined)) as AppState
    const backUp = page.getByRole('button', { name: 'Back up now' })

    // 1. The drive is configured but not plugged in: Back up now says why it cannot run.
    await page.getByText('Not connected', { exact: true }).waitFor({ timeout: MIN })
    expect(await backUp.isDisabled()).toBe(true)
    // The reason is the button's own description (other panels on the page give the same advice for theirs).
    const why = await backUp.getAttribute('aria-describedby')
    expect(why).toBeTruthy()
    expect((await page.locator(`[id="${why}"]`).textContent())?.trim()).toMatch(/\S/)
    await win!.screenshot('vm-1-absent')

    // 2. QMP hot-plugs the drive; udisks2 tells the real watcher, the coordinator tells the window.
    mark('plug')
    await rpc.call('POST', '/test/plug')
    await expect.poll(() => backUp.isEnabled(), { timeout: 2 * MIN, interval: 200 }).toBe(true)
    mark('connected in the window')
    expect(await page.getByText('Connected', { exact: true }).isVisible()).toBe(true)
    expect((await state()).drives[0]).toMatchObject({ name: 'T7', presence: 'connected' })
    await win!.screenshot('vm-2-connected')

    // 3. The click. The helper starts as root, imports the pool by GUID and pipes zfs send into zfs receive.
    mark('click')
    await backUp.click()
    await page.getByRole('heading', { name: 'Backing up T7' }).waitFor({ timeout: MIN })
    mark('running in the window')
    await page.getByText(/^All steps/).click()
    const moved = await page
      .waitForFunction(() => Number((document.querySelector('progress.bar') as HTMLProgressElement | null)?.value ?? 0) > 0, null, { timeout: 10 * MIN, polling: 50 })
      .then(() => true, () => false)
    mark('bytes moving in the window')
    // Read the running state part of the way through (not at its first 128 KiB) in the page itself, at the
    // moment the DOM shows it: the transfer step can end, and its bar go, between two calls from here.
    const seen = await page.evaluate(
      (ms) =>
        new Promise<{ figures: string; sendShown: boolean } | null>((resolve) => {
          const look = (): void => {
            const region = document.querySelector('section.run')
            const bar = region?.querySelector('progress.bar') as HTMLProgressElement | null | undefined
            const figures = region?.querySelector('.progress-figures')?.textContent ?? null
            if (!region) return finish(null)
            if (bar && figures && bar.max > 1 && bar.value / bar.max >= 0.3) finish({ figures, sendShown: /zfs send -w -v -P/.test(region.textContent ?? '') })
          }
          const observer = new MutationObserver(look)
          const timer = setTimeout(() => finish(null), ms)
          const finish = (v: { figures: string; sendShown: boolean } | null): void => {
            observer.disconnect()
            clearTimeout(timer)
            resolve(v)
          }
          observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
          look()
        }),
      10 * MIN,
    )
    const stillRunning = seen !== null
    if (seen) {
      say(`running: ${seen.figures}`)
      expect(seen.figures).toMatch(/ of .* \(\d+ %\)/)
      expect(seen.sendShown).toBe(true)
      await win!.screenshot('vm-3-running')
    }

    // 4. Done: exported, powered off by udisksctl, and the window says so.
    await page.getByRole('heading', { name: 'Backup of T7 done — safe to unplug' }).waitFor({ timeout: 15 * MIN })
    mark('safe to unplug in the window')
    expect(await page.getByText('Powered off — safe to unplug', { exact: true }).isVisible()).toBe(true)
    await win!.screenshot('vm-4-done')

    // The guest agrees: the by-id link is gone (powered off), the pool is not imported, the run is recorded.
    const facts = await rpc.call<Facts>('GET', '/test/facts')
    writeFileSync(join(artifacts, 'vm-facts.json'), JSON.stringify(facts, null, 1) + '\n')
    expect(facts.byIdExists).toBe(false)
    expect(facts.poolImported).toBe(false)
    const run = facts.history[0]!
    expect(run).toMatchObject({ verb: 'backup', drive: 'T7', outcome: 'succeeded' })
    const commands = run.steps.flatMap((s) => s.commands.map((c) => c.join(' ')))
    // By GUID, looking only on the drive's own disk and its partitions.
    expect(commands.some((c) => c.startsWith(`zpool import -d ${facts.byId} -d ${facts.byId}-part1 -N `))).toBe(true)
    expect(commands.some((c) => c.includes('zfs send -w -v -P'))).toBe(true)
    expect(commands.some((c) => c.includes('zfs receive -s -u e2ebk/'))).toBe(true)
    expect(commands).toContain('zpool export e2ebk')
    expect(commands.some((c) => c.startsWith('udisksctl power-off -b '))).toBe(true)
    expect(run.bytes).toBeGreaterThan(100 * 1024 ** 2)

    // Byte progress reached the window while the transfer ran, and it was the real one.
    const progress = rpc.events.flatMap((e) => (e.channel === 'run:event' && (e.payload as { type: string }).type === 'progress' ? [e.payload as { bytes: number; totalBytes: number | null }] : []))
    say(`${progress.length} progress events, last ${JSON.stringify(progress.at(-1))}`)
    expect(progress.filter((p) => p.bytes > 0).length).toBeGreaterThan(0)
    expect(moved).toBe(true)
    expect(stillRunning, 'the transfer ended before the running state could be photographed').toBe(true)

    // 5. History shows the run and every command it ran.
    await page.getByRole('button', { name: 'History' }).click()
    await expect.poll(() => page.getByRole('article').count(), { timeout: MIN }).toBe(1)
    await page.getByText('Steps and commands').click()
    await win!.screenshot('vm-5-history')

    expect(win!.pageErrors).toEqual([])
    expect(rpc.streamErrors).toEqual([])
  }
})
