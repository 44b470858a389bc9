import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, drive, fakeApi, now } from './fake-api'

const snaps = [
  { name: 'backup/home@autosnap_03-09', guid: '2', createdAt: '2025-03-09T10:00:00Z' },
  { name: 'backup/home@autosnap_03-10', guid: '3', createdAt: '2025-03-10T10:00:00Z' },
]

describe('restore', () => {
  it('sends the passphrase once and clears the field', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Restore' }).click()
    const pass = screen.getByLabelText('Passphrase')
    await expect.element(pass).toHaveAttribute('type', 'password')
    const open = screen.getByRole('button', { name: 'Open the backup' })
    await expect.element(open).toBeDisabled()
    await pass.fill('correct horse battery staple')
    await open.click()
    expect(fake.callsTo('restore:open')).toEqual([{ drive: 'T7', passphrase: 'correct horse battery staple' }])
    await expect.element(pass).toHaveValue('')
    await expect.element(open).toBeDisabled()
    expect(document.body.innerHTML).not.toContain('correct horse')
  })

  it('a refused unlock says why, and the passphrase is still gone', async () => {
    const fake = fakeApi(appState(), { 'restore:open': { accepted: false, reason: 'A passphrase cannot contain a line break.' } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Restore' }).click()
    await screen.getByLabelText('Passphrase').fill('secret')
    await screen.getByRole('button', { name: 'Open the backup' }).click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('A passphrase cannot contain a line break.')
    await expect.element(screen.getByLabelText('Passphrase')).toHaveValue('')
  })

  it('absent drive: cannot open', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', canBackUp: { ok: false } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Restore' }).click()
    await screen.getByLabelText('Passphrase').fill('secret')
    await expect.element(screen.getByRole('button', { name: 'Open the backup' })).toBeDisabled()
    await expect.element(screen.getByRole('button', { name: 'Open the backup' })).toHaveAccessibleDescription('Connect the drive first.')
  })

  it('open: browse snapshots, restore a file into a chosen folder, close', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'imported' })], restore: { drive: 'T7', snapshotDir: '/run/zfs-drive-backup/restore/home/.zfs/snapshot' } }), {
      'snapshots:list': { source: [], drive: snaps, timelines: [] },
      'folder:choose': '/home/alice/Restored',
    })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Restore', exact: true }).first().click()
    await expect.element(screen.getByText('/run/zfs-drive-backup/restore/home/.zfs/snapshot', { exact: true })).toBeVisible()
    await expect.element(screen.getByLabelText('Snapshot', { exact: true })).toHaveValue('autosnap_03-10')
    await screen.getByLabelText('Snapshot', { exact: true }).selectOptions('autosnap_03-09')
    await screen.getByLabelText('File or folder inside the snapshot').fill('/alice/Documents/report.odt')
    const restore = screen.getByRole('main').getByRole('button', { name: 'Restore', exact: true })
    await expect.element(restore).toBeDisabled()
    await screen.getByRole('button', { name: 'Choose folder…' }).click()
    await expect.element(screen.getByText('/home/alice/Restored', { exact: true })).toBeVisible()
    await restore.click()
    expect(fake.callsTo('restore:file')).toEqual([{ drive: 'T7', snapshot: 'autosnap_03-09', path: 'alice/Documents/report.odt', to: '/home/alice/Restored', force: false }])
    await expect.element(screen.getByText('alice/Documents/report.odt from @autosnap_03-09 restored into /home/alice/Restored.')).toBeVisible()
    await screen.getByRole('button', { name: 'Close the backup' }).click()
    expect(fake.callsTo('restore:close')).toEqual([{ drive: 'T7' }])
  })

  it('a cancelled folder dialog keeps the restore disabled', async () => {
    const fake = fakeApi(appState({ restore: { drive: 'T7', snapshotDir: '/mnt/.zfs/snapshot' } }), { 'snapshots:list': { source: [], drive: snaps, timelines: [] }, 'folder:choose': null })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Restore', exact: true }).first().click()
    await screen.getByLabelText('File or folder inside the snapshot').fill('a.txt')
    await screen.getByRole('button', { name: 'Choose folder…' }).click()
    await expect.element(screen.getByText('no folder chosen')).toBeVisible()
    await expect.element(screen.getByRole('main').getByRole('button', { name: 'Restore', exact: true })).toBeDisabled()
  })
})
