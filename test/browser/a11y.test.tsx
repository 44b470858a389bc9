import { describe, expect, it } from 'vitest'
import { page, userEvent } from 'vitest/browser'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import '../../renderer/src/styles.css'
import { appState, drive, fakeApi, now, runRecord, runStatus } from './fake-api'

describe('keyboard and zoom', () => {
  it('tab reaches the views and Back up now, with a visible focus ring; Enter switches views', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeVisible()
    const names: string[] = []
    for (let i = 0; i < 7; i++) {
      await userEvent.tab()
      names.push(document.activeElement?.textContent ?? '')
    }
    expect(names).toEqual(['Status', 'History', 'Snapshots', 'Restore', 'Add a drive', 'Checks & sources', 'Back up now'])
    const focused = document.activeElement as HTMLElement
    expect(focused.tagName).toBe('BUTTON')
    expect(getComputedStyle(focused).outlineStyle).toBe('solid')
    await userEvent.keyboard('{Shift>}{Tab}{Tab}{Tab}{Tab}{Tab}{/Shift}')
    expect(document.activeElement?.textContent).toBe('History')
    await userEvent.keyboard('{Enter}')
    await expect.element(screen.getByRole('heading', { name: 'History' })).toBeVisible()
  })

  it('every clickable thing is a button, link or form control', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'imported', canEject: { ok: true }, busyHolders: [{ pid: 1, command: 'bash', path: '/backup/home' }] })], run: runStatus(), lastRun: runRecord() }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Cancel' })).toBeVisible()
    const clickableDivs = [...document.querySelectorAll('div[onclick], span[onclick], [tabindex]:not(button):not(input):not(select):not(a)')]
    expect(clickableDivs).toEqual([])
  })

  it('at 200 % zoom (a 480 px wide window) nothing overflows sideways', async () => {
    await page.viewport(480, 800)
    const long = ['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', 'rpool/nixos/home/with/a/very/long/dataset/name/that/keeps/going', 'backup/home/with/a/very/long/dataset/name/that/keeps/going']
    const fake = fakeApi(
      appState({
        drives: [drive({ presence: 'imported', stale: true, canBackUp: { ok: false, reason: 'A backup is running.' }, canEject: { ok: false, reason: 'Wait for the run to finish.' }, busyHolders: [{ pid: 4242, command: 'a-program-with-a-long-name', path: '/backup/home/alice/a/deeply/nested/folder/with/a/long/path/file.txt' }] })],
        run: runStatus({ command: long }),
      }),
    )
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Cancel' })).toBeVisible()
    const root = document.documentElement
    expect(root.scrollWidth).toBeLessThanOrEqual(root.clientWidth)
    await page.viewport(1024, 768)
  })
})
