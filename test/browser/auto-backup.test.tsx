// The drive card's "Back up when plugged in" switch: drawn from main's state (the same answer as
// `zfs-drive-backup status`), flipping it asks main (auto:set), and it says why when it cannot be flipped.
import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, drive, fakeApi, now } from './fake-api'

const auto = (on: boolean, over: { note?: string | null; canChange?: { ok: boolean; reason?: string } } = {}) => ({ on, note: over.note ?? null, canChange: over.canChange ?? { ok: true } })

describe('backup on plug switch', () => {
  it('off: flipping it asks main to turn it on; the state main sends back shows it on', async () => {
    const fake = fakeApi(appState({ drives: [drive({ autoBackup: auto(false) })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const sw = screen.getByRole('switch', { name: 'Back up when plugged in' })
    await expect.element(sw).not.toBeChecked()
    await expect.element(sw).toHaveAccessibleDescription(/even with this app closed/)
    await sw.click()
    expect(fake.callsTo('auto:set')).toEqual([{ drive: 'T7', enabled: true }])
    // The switch follows main, not the click: it is on once main says so.
    fake.setState(appState({ drives: [drive({ autoBackup: auto(true) })] }))
    await expect.element(sw).toBeChecked()
  })

  it('on: flipping it asks main to turn it off', async () => {
    const fake = fakeApi(appState({ drives: [drive({ autoBackup: auto(true) })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const sw = screen.getByRole('switch', { name: 'Back up when plugged in' })
    await expect.element(sw).toBeChecked()
    await sw.click()
    expect(fake.callsTo('auto:set')).toEqual([{ drive: 'T7', enabled: false }])
  })

  it('while a run is in progress it cannot be flipped, and says why', async () => {
    const fake = fakeApi(appState({ drives: [drive({ autoBackup: auto(false, { canChange: { ok: false, reason: 'Backup (T7) is in progress.' } }) })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const sw = screen.getByRole('switch', { name: 'Back up when plugged in' })
    await expect.element(sw).toBeDisabled()
    await expect.element(sw).toHaveAccessibleDescription(/Backup \(T7\) is in progress\./)
  })

  it('a refusal (the password prompt dismissed) is shown next to it, and the switch stays as main says', async () => {
    const fake = fakeApi(appState({ drives: [drive({ autoBackup: auto(false) })] }), { 'auto:set': { accepted: false, reason: 'The password prompt was dismissed.' } })
    const screen = await render(<App api={fake.api} now={now} />)
    const sw = screen.getByRole('switch', { name: 'Back up when plugged in' })
    await sw.click()
    await expect.element(screen.getByRole('alert').filter({ hasText: 'The password prompt was dismissed.' })).toBeVisible()
    await expect.element(sw).not.toBeChecked()
  })

  it('when the config and the installed service disagree, main’s note says so', async () => {
    const note = 'The config asks for backup on plug, but its udev rule and service are not installed for this user: plugging in starts nothing. Turn it on to install them.'
    const fake = fakeApi(appState({ drives: [drive({ autoBackup: auto(false, { note }) })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('note').filter({ hasText: 'plugging in starts nothing' })).toBeVisible()
  })

  it('a main that reports no backup-on-plug state shows no switch', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeVisible()
    expect(screen.getByRole('switch').query()).toBeNull()
  })
})
