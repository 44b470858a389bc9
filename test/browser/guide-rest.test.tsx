// Issue 15 in the window: the delegation card (what is missing, the exact command, grant and revoke),
// the key rehearsal reminder and its check, snapshots by hand with a typed delete, snapshot before backing up.
import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, ago, DAY, drive, fakeApi, now } from './fake-api'

const needs = [{ permission: 'diff', use: 'zfs diff (what changed between snapshots)' }]
const missing = { dataset: 'rpool/nixos/home', held: ['mount'], missing: ['diff'], revocable: [], grant: ['zfs', 'allow', '-u', 'eds', 'diff', 'rpool/nixos/home'], revoke: null }
const granted = { dataset: 'rpool/nixos/home', held: ['diff'], missing: [], revocable: ['diff'], grant: null, revoke: ['zfs', 'unallow', '-u', 'eds', 'diff', 'rpool/nixos/home'] }

describe('the delegation card', () => {
  it('names what is missing and shows the exact command before granting it through the helper', async () => {
    const fake = fakeApi(appState(), { 'delegation:get': { user: 'eds', root: false, sources: [missing], needs } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Checks & sources' }).click()
    const row = screen.getByRole('listitem', { name: 'rpool/nixos/home' })
    await expect.element(row).toHaveTextContent('eds lacks diff.')
    await expect.element(row).toHaveTextContent('runs as root: zfs allow -u eds diff rpool/nixos/home')
    await row.getByRole('button', { name: 'Grant' }).click()
    expect(fake.callsTo('delegation:grant')).toEqual([{ source: 'rpool/nixos/home' }])
    await expect.element(row.getByRole('button', { name: 'Revoke' })).not.toBeInTheDocument()
  })

  it('once granted: nothing missing, and revoke shows what it runs', async () => {
    const fake = fakeApi(appState(), { 'delegation:get': { user: 'eds', root: false, sources: [granted], needs } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Checks & sources' }).click()
    const row = screen.getByRole('listitem', { name: 'rpool/nixos/home' })
    await expect.element(row).toHaveTextContent('eds holds what the app needs.')
    await expect.element(row).toHaveTextContent('runs as root: zfs unallow -u eds diff rpool/nixos/home')
    await row.getByRole('button', { name: 'Revoke' }).click()
    expect(fake.callsTo('delegation:revoke')).toEqual([{ source: 'rpool/nixos/home' }])
  })

  it('a refused grant says why', async () => {
    const fake = fakeApi(appState(), { 'delegation:get': { user: 'eds', root: false, sources: [missing], needs }, 'delegation:grant': { accepted: false, reason: 'Backup (T7) is in progress.' } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Checks & sources' }).click()
    await screen.getByRole('button', { name: 'Grant' }).click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('Backup (T7) is in progress.')
  })

  it('snapshot before backing up: off by default, one switch per source', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Checks & sources' }).click()
    const box = screen.getByRole('checkbox', { name: 'Snapshot rpool/nixos/home before backing up' })
    await expect.element(box).not.toBeChecked()
    await box.click()
    expect(fake.callsTo('source:snapshot-before-backup')).toEqual([{ dataset: 'rpool/nixos/home', enabled: true }])
  })
})

describe('the key rehearsal reminder', () => {
  it('appears on the card once the interval has passed, and the check sends the passphrase once', async () => {
    const fake = fakeApi(appState({ drives: [drive({ keyCheck: { lastProvenAt: ago(120 * DAY), days: 120, due: true, everyDays: 90 } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const panel = screen.getByRole('region', { name: 'Passphrase of T7' })
    await expect.element(panel).toHaveTextContent('(120 days ago)')
    await expect.element(panel.getByRole('status')).toHaveTextContent('Time to rehearse: not proven for 120 days.')
    await panel.getByLabelText('Passphrase', { exact: true }).fill('correct horse')
    await panel.getByRole('button', { name: 'Check the passphrase' }).click()
    expect(fake.callsTo('key:verify')).toEqual([{ drive: 'T7', passphrase: 'correct horse' }])
    await expect.element(panel.getByLabelText('Passphrase', { exact: true })).toHaveValue('')
  })

  it('is gone once proven within the interval; a check needs the drive plugged in', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', canBackUp: { ok: false }, keyCheck: { lastProvenAt: ago(2 * DAY), days: 2, due: false, everyDays: 90 } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const panel = screen.getByRole('region', { name: 'Passphrase of T7' })
    await expect.element(panel).toHaveTextContent('(2 days ago)')
    await expect.element(panel.getByText(/Time to rehearse/)).not.toBeInTheDocument()
    await expect.element(panel.getByRole('button', { name: 'Check the passphrase' })).toBeDisabled()
  })
})

describe('snapshots by hand', () => {
  const row = (snapshot: string, guid: string) => ({ snapshot, createdAt: '2025-03-10T10:00:00Z', guid, onSource: true, onDrive: false })
  const list = { source: [], drive: null, timelines: [{ source: 'rpool/nixos/home', target: 'backup/eds', rows: [row('before-upgrade', '1'), row('autosnap_03-10', '2')] }] }

  it('takes a named snapshot, and deletes one only after its name is typed again', async () => {
    const fake = fakeApi(appState(), { 'snapshots:list': list })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    const panel = screen.getByRole('region', { name: 'Snapshots of rpool/nixos/home by hand' })
    await panel.getByLabelText('New snapshot name').fill('before-upgrade-2')
    await expect.element(panel).toHaveTextContent('runs as root: zfs snapshot rpool/nixos/home@before-upgrade-2')
    await panel.getByRole('button', { name: 'Take snapshot' }).click()
    expect(fake.callsTo('snapshot:create')).toEqual([{ source: 'rpool/nixos/home', name: 'before-upgrade-2' }])
    await panel.getByLabelText('Delete snapshot').selectOptions('before-upgrade')
    await expect.element(panel).toHaveTextContent('runs as root: zfs destroy rpool/nixos/home@before-upgrade')
    const del = panel.getByRole('button', { name: 'Delete' })
    await panel.getByLabelText('Type its name to confirm').fill('before-upgrad')
    await expect.element(del).toBeDisabled()
    await panel.getByLabelText('Type its name to confirm').fill('before-upgrade')
    await del.click()
    expect(fake.callsTo('snapshot:destroy')).toEqual([{ snapshot: 'rpool/nixos/home@before-upgrade', confirm: 'before-upgrade' }])
  })
})
