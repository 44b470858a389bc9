// The built tray window in real Chromium with no Electron: window.zfsBackup is bound (test/e2e/harness.ts)
// to an in-memory coordinator, and the walk goes connected → Back up now → running → stalled → done,
// "safe to unplug". Screenshots of each state, light and dark, land in test-results/e2e/.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeCoordinator, TOTAL } from '../e2e/fake-coordinator'
import { openWindow, type WindowHandle } from '../e2e/harness'

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

describe.skipIf(!existsSync(chromiumPath))('tray window end to end (Chromium, no Electron)', () => {
  const coordinator = new FakeCoordinator()
  let win: WindowHandle

  beforeAll(async () => {
    win = await openWindow(coordinator)
  }, 120_000)
  afterAll(async () => {
    await win?.close()
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
})
