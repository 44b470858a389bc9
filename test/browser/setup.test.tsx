import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import type { DiskCandidate } from '../../preload/contract'
import { appState, drive, fakeApi, now } from './fake-api'

const disks: DiskCandidate[] = [
  { byId: '/dev/disk/by-id/usb-Samsung_PSSD_T7_S5TNNS0W123456-0:0', model: 'Samsung PSSD T7', serial: 'S5TNNS0W123456', sizeBytes: 1000204886016, transport: 'usb', eligible: true },
  { byId: '/dev/disk/by-id/nvme-WD_BLACK_SN850X_2TB_22471A800123', model: 'WD_BLACK SN850X', serial: '22471A800123', sizeBytes: 2000398934016, transport: 'nvme', eligible: false, reason: 'holds the running system (rpool)' },
]
const T7 = 'usb-Samsung_PSSD_T7_S5TNNS0W123456-0:0'

async function toConfirm() {
  const fake = fakeApi(appState(), { 'disks:list': disks })
  const screen = await render(<App api={fake.api} now={now} />)
  await screen.getByRole('button', { name: 'Add a drive' }).click()
  await screen.getByRole('radio', { name: /Samsung PSSD T7/ }).click()
  await screen.getByLabelText('Name for this drive').first().fill('Blue T7')
  await screen.getByRole('button', { name: 'Next' }).click()
  return { fake, screen }
}

describe('setup wizard', () => {
  it('lists disks; an ineligible one is disabled and says why', async () => {
    const fake = fakeApi(appState(), { 'disks:list': disks })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Add a drive' }).click()
    await expect.element(screen.getByRole('radio', { name: /Samsung PSSD T7/ })).toBeEnabled()
    // Internal disks are offered only when asked for.
    expect(screen.getByRole('radio', { name: /WD_BLACK SN850X/ }).elements()).toHaveLength(0)
    await screen.getByRole('checkbox', { name: /Also show internal disks \(1\)/ }).click()
    const nvme = screen.getByRole('radio', { name: /WD_BLACK SN850X/ })
    await expect.element(nvme).toBeDisabled()
    await expect.element(nvme).toHaveAccessibleDescription(/Not available: holds the running system \(rpool\)/)
    await expect.element(screen.getByRole('button', { name: 'Next' })).toBeDisabled()
  })

  it('confirm is enabled only when the typed name matches exactly', async () => {
    const { fake, screen } = await toConfirm()
    await expect.element(screen.getByText(T7, { exact: true })).toBeVisible()
    const erase = screen.getByRole('button', { name: 'Erase and set up' })
    const field = screen.getByLabelText('Disk name')
    await expect.element(erase).toBeDisabled()
    await field.fill(T7.slice(0, -1))
    await expect.element(erase).toBeDisabled()
    await field.fill(T7.toLowerCase())
    await expect.element(erase).toBeDisabled()
    await field.fill(` ${T7}`)
    await expect.element(erase).toBeDisabled()
    await field.fill(T7)
    await expect.element(erase).toBeEnabled()
    await erase.click()
    expect(fake.callsTo('setup:start')).toEqual([{ disk: `/dev/disk/by-id/${T7}`, name: 'Blue T7', confirm: T7 }])
  })

  it('Back returns to the disk list', async () => {
    const { screen } = await toConfirm()
    await screen.getByRole('button', { name: 'Back' }).click()
    await expect.element(screen.getByRole('radio', { name: /Samsung PSSD T7/ })).toBeChecked()
  })

  it('follows the setup and the first replication through run events', async () => {
    const { fake, screen } = await toConfirm()
    await screen.getByLabelText('Disk name').fill(T7)
    await screen.getByRole('button', { name: 'Erase and set up' }).click()
    await expect.element(screen.getByText(/Waiting for the run to start/)).toBeVisible()
    const at = new Date().toISOString()
    fake.push('run:event', { type: 'run-started', runId: 'setup-1', verb: 'setup', drive: 'Blue T7', steps: [{ id: 'wipe', title: 'Partition the disk' }, { id: 'create', title: 'Create the pool' }, { id: 'copy', title: 'First raw copy' }], at })
    fake.push('run:event', { type: 'step-started', step: 'wipe', index: 0, at })
    fake.push('run:event', { type: 'step-finished', step: 'wipe', outcome: 'ok', durationMs: 1000 })
    fake.push('run:event', { type: 'step-started', step: 'create', index: 1, at })
    fake.push('run:event', { type: 'command', step: 'create', argv: ['zpool', 'create', '-o', 'ashift=12', 'backup', `/dev/disk/by-id/${T7}-part1`] })
    const steps = screen.getByRole('list', { name: 'Drive setup steps' })
    await expect.element(steps.getByRole('listitem').nth(0)).toHaveTextContent('Partition the disk — done')
    await expect.element(steps.getByRole('listitem').nth(1)).toHaveTextContent('Create the pool — running')
    await expect.element(screen.getByText(`zpool create -o ashift=12 backup /dev/disk/by-id/${T7}-part1`)).toBeVisible()
    fake.push('run:event', { type: 'step-finished', step: 'create', outcome: 'ok', durationMs: 1000 })
    fake.push('run:event', { type: 'step-started', step: 'copy', index: 2, at })
    fake.push('run:event', { type: 'progress', step: 'copy', bytes: 512 * 1024 ** 2, totalBytes: 2 * 1024 ** 3, bytesPerSecond: 100 * 1024 ** 2, etaSeconds: 15 })
    await expect.element(screen.getByText('512 MiB of 2.00 GiB')).toBeVisible()
    await expect.element(screen.getByText(/less than a minute left/)).toBeVisible()
    fake.push('run:event', { type: 'step-finished', step: 'copy', outcome: 'ok', durationMs: 20_000 })
    fake.push('run:event', { type: 'run-finished', outcome: 'succeeded', durationMs: 22_000, at, bytes: 2 * 1024 ** 3 })
    fake.setState(appState({ drives: [drive(), drive({ name: 'Blue T7' })] }))
    await expect.element(screen.getByText('Drive setup finished in 22 s, 2.00 GiB copied.')).toBeVisible()
    await screen.getByRole('button', { name: 'Start the first backup' }).click()
    expect(fake.callsTo('backup:start')).toEqual([{ drive: 'Blue T7' }])
  })

  it('a failed setup shows the error and hint', async () => {
    const { fake, screen } = await toConfirm()
    await screen.getByLabelText('Disk name').fill(T7)
    await screen.getByRole('button', { name: 'Erase and set up' }).click()
    const at = new Date().toISOString()
    fake.push('run:event', { type: 'run-started', runId: 'setup-2', verb: 'setup', drive: 'Blue T7', steps: [{ id: 'wipe', title: 'Partition the disk' }], at })
    fake.push('run:event', { type: 'step-finished', step: 'wipe', outcome: 'failed', durationMs: 10 })
    fake.push('run:event', { type: 'error', code: 'disk-busy', message: 'The disk is mounted at /media/alice/T7.', hint: 'Unmount it in the file manager, then try again.' })
    fake.push('run:event', { type: 'run-finished', outcome: 'failed', durationMs: 10, at, bytes: 0 })
    await expect.element(screen.getByRole('alert')).toHaveTextContent('The disk is mounted at /media/alice/T7.What to do: Unmount it in the file manager, then try again.')
  })

  it('a refused setup stays on the confirm step with the reason', async () => {
    const fake = fakeApi(appState(), { 'disks:list': disks, 'setup:start': { accepted: false, reason: 'Another run is in progress.' } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Add a drive' }).click()
    await screen.getByRole('radio', { name: /Samsung PSSD T7/ }).click()
    await screen.getByLabelText('Name for this drive').first().fill('Blue T7')
    await screen.getByRole('button', { name: 'Next' }).click()
    await screen.getByLabelText('Disk name').fill(T7)
    await screen.getByRole('button', { name: 'Erase and set up' }).click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('Another run is in progress.')
    await expect.element(screen.getByRole('button', { name: 'Erase and set up' })).toBeVisible()
  })
})
