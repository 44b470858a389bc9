import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, DAY, ago, drive, fakeApi, now } from './fake-api'

describe('status', () => {
  it('connected: presence, last backup as time and age, laptop vs drive snapshots, Back up now starts a backup', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('heading', { name: 'T7' })).toBeVisible()
    await expect.element(screen.getByText('Connected', { exact: true })).toBeVisible()
    await expect.element(screen.getByText('(3 days ago)')).toBeVisible()
    await expect.element(screen.getByText('autosnap_2025-03-10_11:00:00_hourly')).toBeVisible()
    await expect.element(screen.getByText('autosnap_2025-03-07_09:00:00_hourly')).toBeVisible()
    await expect.element(screen.getByText('2 snapshots', { exact: true })).toBeVisible()
    const button = screen.getByRole('button', { name: 'Back up now' })
    await expect.element(button).toBeEnabled()
    await button.click()
    expect(fake.callsTo('backup:start')).toEqual([{ drive: 'T7' }])
  })

  it('says what the next backup starts from, and when it would be a full send', async () => {
    const line = 'incremental from bookmark zfs-drive-backup-1325-30 (the laptop pruned the snapshot itself); a full send of about 3.0 GiB only if that bookmark is removed'
    const fake = fakeApi(appState({ drives: [drive({ nextBackup: [line] })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('Next backup', { exact: true })).toBeVisible()
    await expect.element(screen.getByText(line, { exact: true })).toBeVisible()
  })

  it('absent: Back up now is disabled and says why', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', canBackUp: { ok: false, reason: 'Plug the drive in first.' } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('Not connected', { exact: true })).toBeVisible()
    const button = screen.getByRole('button', { name: 'Back up now' })
    await expect.element(button).toBeDisabled()
    await expect.element(button).toHaveAccessibleDescription('Plug the drive in first.')
  })

  it('absent with no reason from main still explains itself', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', canBackUp: { ok: false } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toHaveAccessibleDescription('Connect the drive first.')
  })

  it('stale: warns past the configured days', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', stale: true, staleAfterDays: 7, lastBackupAt: ago(12 * DAY), canBackUp: { ok: false, reason: 'Plug the drive in first.' } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText(/No backup for more than 7 days/)).toBeVisible()
    await expect.element(screen.getByText('(12 days ago)')).toBeVisible()
  })

  it('not stale: no warning', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeVisible()
    expect(screen.getByText(/No backup for more than/).query()).toBeNull()
  })

  it('never backed up and drive never read: "never", and due', async () => {
    const fake = fakeApi(appState({ drives: [drive({ lastBackupAt: null, stale: true, snapshots: { sourceNewest: null, driveNewest: null, missingOnDrive: null } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('never', { exact: true })).toBeVisible()
    await expect.element(screen.getByText('⚠ Never backed up. Plug the drive in and back up.')).toBeVisible()
    expect(screen.getByText(/No backup for more than/).query()).toBeNull()
    await expect.element(screen.getByText('unknown until the drive is read')).toBeVisible()
  })

  it('up to date', async () => {
    const fake = fakeApi(appState({ drives: [drive({ snapshots: { sourceNewest: 'a@s2', driveNewest: 'b@s2', missingOnDrive: 0 } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('nothing — up to date')).toBeVisible()
  })

  it('shows why main refused a backup', async () => {
    const fake = fakeApi(appState(), { 'backup:start': { accepted: false, reason: 'The pool is busy.' } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Back up now' }).click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('The pool is busy.')
  })

  it('follows state:changed: a drive plugged in enables the button', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', canBackUp: { ok: false, reason: 'Plug the drive in first.' } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeDisabled()
    fake.setState(appState())
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeEnabled()
  })

  it('one card per drive', async () => {
    const fake = fakeApi(appState({ drives: [drive(), drive({ name: 'Office', presence: 'absent', canBackUp: { ok: false, reason: 'Plug the drive in first.' } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('heading', { name: 'Office' })).toBeVisible()
    await expect.element(screen.getByRole('button', { name: 'Back up now' }).nth(0)).toBeEnabled()
    await expect.element(screen.getByRole('button', { name: 'Back up now' }).nth(1)).toBeDisabled()
  })
})
