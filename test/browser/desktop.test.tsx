import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, fakeApi, now } from './fake-api'

const fresh = () => appState({ configured: false, sources: [], drives: [] })

describe('start at login, and no tray', () => {
  it('the first run offers "Start at login"; ticking it asks main to add the autostart entry', async () => {
    const fake = fakeApi(fresh())
    const screen = await render(<App api={fake.api} now={now} />)
    const box = screen.getByRole('checkbox', { name: 'Start at login' })
    await expect.element(box).not.toBeChecked()
    await box.click()
    await expect.poll(() => fake.callsTo('autostart:set')).toEqual([{ enabled: true }])
    await expect.element(box).toBeChecked()
  })

  it('a refused change is said, and the box shows what is true', async () => {
    const fake = fakeApi(fresh(), { 'desktop:get': { startAtLogin: true, trayHost: true, noTrayHint: null }, 'autostart:set': { accepted: false, reason: 'Could not remove the autostart entry: EACCES' } })
    const screen = await render(<App api={fake.api} now={now} />)
    const box = screen.getByRole('checkbox', { name: 'Start at login' })
    await expect.element(box).toBeChecked()
    await box.click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('EACCES')
    await expect.element(box).toBeChecked()
  })

  it('without a tray host, says how to get the window back', async () => {
    const hint = 'To open the window again, start “ZFS Drive Backup” from your applications menu.'
    const fake = fakeApi(fresh(), { 'desktop:get': { startAtLogin: false, trayHost: false, noTrayHint: hint } })
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('note')).toHaveTextContent(/No system tray was found/)
    await expect.element(screen.getByRole('note')).toHaveTextContent(hint)
  })
})
