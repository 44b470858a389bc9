// The built tray window in real Chromium with no Electron: window.zfsBackup is bound (test/e2e/harness.ts)
// to an in-memory coordinator, and the walk goes connected → Back up now → running → stalled → done,
// "safe to unplug". Screenshots of each state, light and dark, land in test-results/e2e/.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppState, DriveStatus } from '../../preload/contract'
import { FakeCoordinator, TOTAL } from '../e2e/fake-coordinator'
import { bindService } from '../e2e/bind'
import { openWindow, type WindowHandle } from '../e2e/harness'
import { serveRenderer, type RendererServer } from '../e2e/serve'
import { StaticHandlers } from '../e2e/static-handlers'

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

describe.skipIf(!existsSync(chromiumPath))('tray window end to end (Chromium, no Electron)', () => {
  const coordinator = new FakeCoordinator()
  let server: RendererServer
  let win: WindowHandle

  beforeAll(async () => {
    server = await serveRenderer()
    win = await openWindow(coordinator, { server })
  }, 120_000)
  afterAll(async () => {
    await win?.close()
    await server?.close()
  })

  const noSidewaysScroll = () => win.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)

  it('walks from a click on Back up now to "safe to unplug"', async () => {
    const { page } = win
    const backUp = page.getByRole('button', { name: 'Back up now' })
    await expect.poll(() => backUp.isEnabled()).toBe(true)
    await expect.poll(() => page.getByText('74 snapshots', { exact: true }).isVisible()).toBe(true)
    await win.screenshot('01-connected')
    await win.screenshot('01-connected-zoom200', { width: 480, themes: ['light'] })

    await backUp.click()
    expect(coordinator.calls.filter((c) => c.channel === 'backup:start')).toEqual([{ channel: 'backup:start', request: { drive: 'T7' } }])
    coordinator.advanceTo(2)
    coordinator.progress(1.2 * 1024 ** 3, 85 * 1024 ** 2)
    await win.flush()
    await expect.poll(() => page.getByText('Step 3 of 6:').isVisible()).toBe(true)
    await expect.poll(() => page.getByText('1.20 GiB of 3.29 GiB').isVisible()).toBe(true)
    expect(await page.getByTestId('eta').textContent()).toBe(' · less than a minute left')
    expect(await page.getByRole('region', { name: 'Backing up T7' }).getByText(/^syncoid --sendoptions=w/).first().textContent()).toBe('syncoid --sendoptions=w --compress=none --delete-target-snapshots --no-sync-snap --no-rollback rpool/nixos/home backup/home')
    expect(await page.getByRole('button', { name: 'Back up now' }).isDisabled()).toBe(true)
    await page.getByText(/All steps and commands/).click()
    await win.screenshot('02-running')
    await page.setViewportSize({ width: 480, height: 720 })
    expect(await noSidewaysScroll()).toBe(true)
    await page.setViewportSize({ width: 960, height: 720 })
    await win.screenshot('02-running-zoom200', { width: 480, themes: ['light'] })

    coordinator.progress(2 * 1024 ** 3, null, true)
    await win.flush()
    await expect.poll(() => page.getByText(/No data has moved/).isVisible()).toBe(true)
    expect(await page.getByTestId('eta').count()).toBe(0)
    expect(await page.getByTestId('rate').count()).toBe(0)
    await win.screenshot('03-stalled', { themes: ['light'] })

    coordinator.progress(TOTAL, 90 * 1024 ** 2)
    coordinator.advanceTo(5)
    coordinator.finish()
    await win.flush()
    await expect.poll(() => page.getByRole('heading', { name: 'Backup of T7 done — safe to unplug' }).isVisible()).toBe(true)
    expect(await page.getByText('Powered off — safe to unplug', { exact: true }).isVisible()).toBe(true)
    expect(await page.getByText('nothing — up to date').isVisible()).toBe(true)
    await win.screenshot('04-done')
    await win.screenshot('04-done-zoom200', { width: 480, themes: ['dark'] })

    await page.getByRole('button', { name: 'History' }).click()
    await expect.poll(() => page.getByRole('article').count()).toBe(1)
    await page.getByText('Steps and commands').click()
    await win.screenshot('05-history')

    expect(win.pageErrors).toEqual([])
  }, 120_000)

  it('every other view, photographed light and dark', async () => {
    const day = 86_400_000
    const iso = (ago: number) => new Date(Date.now() - ago).toISOString()
    const drive: DriveStatus = { ...coordinator.state.drives[0]!, presence: 'imported', lastBackupAt: iso(12 * day), stale: true, scrubDue: true, lastScrub: null, canBackUp: { ok: true }, canEject: { ok: true }, busyHolders: [{ pid: 4242, command: 'bash', path: '/backup/home/alice' }, { pid: 5150, command: 'nautilus', path: '/backup/home/alice/Pictures' }] }
    const failed = { id: 'r-failed', verb: 'backup' as const, drive: 'T7', startedAt: iso(day), finishedAt: iso(day - 9000), outcome: 'failed' as const, durationMs: 9000, bytes: 0, steps: [{ id: 'export', title: 'Export the pool', outcome: 'failed' as const, durationMs: 9000, commands: [['zpool', 'export', 'backup']] }], warnings: [], error: { code: 'pool-busy', message: 'The pool is busy: 2 processes hold files on it.', hint: 'Close bash and nautilus (they have files on the drive open), then press Eject.' }, replicated: [] }
    const base: AppState = { configured: true, sources: [{ dataset: 'rpool/nixos/home', allowUnencrypted: false }], drives: [drive], run: null, lastRun: failed, restore: null }
    const snap = (ds: string, name: string, guid: string, ago: number) => ({ name: `${ds}@${name}`, guid, createdAt: iso(ago) })
    const h = new StaticHandlers(base, {
      'history:list': [failed],
      'snapshots:list': {
        source: [snap('rpool/nixos/home', 'autosnap_daily_1', '1', 3 * day), snap('rpool/nixos/home', 'autosnap_daily_2', '2', 2 * day), snap('rpool/nixos/home', 'autosnap_hourly_3', '3', 3600_000)],
        drive: [snap('backup/home', 'autosnap_monthly_0', '0', 40 * day), snap('backup/home', 'autosnap_daily_1', '1', 3 * day), snap('backup/home', 'autosnap_daily_2', '2', 2 * day)],
        timelines: [{
          source: 'rpool/nixos/home', target: 'backup/home', rows: [
            { snapshot: 'autosnap_hourly_3', guid: '3', createdAt: iso(3600_000), onSource: true, onDrive: false },
            { snapshot: 'autosnap_daily_2', guid: '2', createdAt: iso(2 * day), onSource: true, onDrive: true },
            { snapshot: 'autosnap_daily_1', guid: '1', createdAt: iso(3 * day), onSource: true, onDrive: true },
            { snapshot: 'autosnap_monthly_0', guid: '0', createdAt: iso(40 * day), onSource: false, onDrive: true },
          ],
        }],
      },
      'diff:get': { entries: [{ change: '+', path: '/home/alice/notes.md' }, { change: 'M', path: '/home/alice' }, { change: '-', path: '/home/alice/old.log' }, { change: 'R', path: '/home/alice/a.txt', newPath: '/home/alice/b.txt' }] },
      'disks:list': [
        { byId: '/dev/disk/by-id/usb-Samsung_PSSD_T7_S5TNNS0W123456-0:0', model: 'Samsung PSSD T7', serial: 'S5TNNS0W123456', sizeBytes: 1000204886016, transport: 'usb', eligible: true },
        { byId: '/dev/disk/by-id/nvme-WD_BLACK_SN850X_2TB_22471A800123', model: 'WD_BLACK SN850X', serial: '22471A800123', sizeBytes: 2000398934016, transport: 'nvme', eligible: false, reason: 'holds the running system (rpool)' },
      ],
      'doctor:get': [
        { id: 'zfs', title: 'OpenZFS tools', ok: true, severity: 'error', detail: 'found at /usr/sbin/zfs' },
        { id: 'syncoid', title: 'syncoid (sanoid ≥ 2.2.0)', ok: false, severity: 'error', detail: 'syncoid is not on PATH', fix: { debian: 'sudo apt install sanoid', nixos: 'environment.systemPackages = [ pkgs.sanoid ];' } },
        { id: 'pv', title: 'pv (byte progress)', ok: false, severity: 'warning', detail: 'pv is not on PATH', fix: { debian: 'sudo apt install pv', nixos: 'environment.systemPackages = [ pkgs.pv ];' } },
      ],
      'sources:list': [
        { dataset: 'rpool/nixos/home', encrypted: true, encryptionRoot: 'rpool/nixos', snapshots: 74 },
        { dataset: 'rpool/scratch', encrypted: false, encryptionRoot: null, snapshots: 0 },
      ],
      'folder:choose': '/home/alice/Restored',
    })
    const w = await openWindow(h, { server })
    try {
      const { page } = w
      await expect.poll(() => page.getByText('Backup of T7 failed').isVisible()).toBe(true)
      expect(await page.getByText('bash (PID 4242) has /backup/home/alice open').isVisible()).toBe(true)
      await w.screenshot('10-failed-busy-stale')

      await page.getByRole('button', { name: 'History' }).click()
      await page.getByText('What to do:').waitFor()
      await w.screenshot('11-history-failed', { themes: ['dark'] })

      await page.getByRole('button', { name: 'Snapshots' }).click()
      await page.getByRole('table').waitFor()
      await page.getByRole('button', { name: 'Show changes' }).click()
      await page.getByRole('list', { name: 'Changes' }).waitFor()
      await w.screenshot('12-snapshots-diff')

      await page.getByRole('button', { name: 'Add a drive' }).click()
      await page.getByRole('radio', { name: /Samsung PSSD T7/ }).check()
      await page.getByLabel('Name for this drive').first().fill('Blue T7')
      await w.screenshot('13-setup-disks', { themes: ['light'] })
      await page.getByRole('button', { name: 'Next' }).click()
      await page.getByLabel('Disk name').fill('usb-Samsung_PSSD_T7_S5TNNS0W123456-0:0')
      await w.screenshot('14-setup-confirm')

      await page.getByRole('button', { name: 'Restore' }).click()
      await w.screenshot('15-restore-passphrase', { themes: ['light'] })
      h.setState({ ...base, lastRun: null, restore: { drive: 'T7', snapshotDir: '/run/zfs-drive-backup/restore/backup/home/.zfs/snapshot' } })
      await page.getByLabel('File or folder inside the snapshot').fill('alice/Documents/report.odt')
      await page.getByRole('button', { name: 'Choose folder…' }).click()
      await page.getByText('/home/alice/Restored', { exact: true }).waitFor()
      await w.screenshot('16-restore-open')

      h.setState({ ...base, configured: false, drives: [], sources: [], lastRun: null })
      await page.getByRole('heading', { name: 'Check this computer' }).waitFor()
      await page.getByRole('checkbox', { name: 'rpool/scratch' }).check()
      await w.screenshot('17-first-run')
      await w.screenshot('17-first-run-zoom200', { width: 480, themes: ['light'] })
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true)
      expect(w.pageErrors).toEqual([])
    } finally {
      await w.close()
    }
  }, 120_000)

  it('binds to a main-process service the way main/index.ts does (bindService)', async () => {
    const listeners: { state?: (s: AppState) => void } = {}
    let state: AppState = { ...coordinator.state, drives: [{ ...coordinator.state.drives[0]!, presence: 'connected', canBackUp: { ok: true } }], run: null, lastRun: null }
    const started: string[] = []
    const service = {
      'state:get': async () => state,
      'backup:start': async ({ drive }: { drive: string }) => {
        started.push(drive)
        state = { ...state, drives: [{ ...state.drives[0]!, canBackUp: { ok: false, reason: 'Refused by the service under test.' } }] }
        listeners.state?.(state)
        return { accepted: true }
      },
      onChange: (l: (s: AppState) => void) => {
        listeners.state = l
        return () => delete listeners.state
      },
      onRunEvent: () => () => undefined,
    }
    const w = await openWindow(bindService(service), { server })
    try {
      await w.page.getByRole('button', { name: 'Back up now' }).click()
      await expect.poll(() => w.page.getByText('Refused by the service under test.').isVisible()).toBe(true)
      expect(started).toEqual(['T7'])
      // A channel the service does not implement fails in the page, not silently.
      const err = await w.page.evaluate(() => (window as unknown as { zfsBackup: { invoke(c: string, r: unknown): Promise<unknown> } }).zfsBackup.invoke('disks:list', undefined).then(() => 'resolved', (e: Error) => e.message))
      expect(err).toContain('disks:list: no handler')
    } finally {
      await w.close()
    }
  }, 60_000)
})
