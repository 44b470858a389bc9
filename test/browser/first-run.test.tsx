import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import type { DoctorCheck, SourceCandidate } from '../../preload/contract'
import { appState, fakeApi, now } from './fake-api'

const checks: DoctorCheck[] = [
  { id: 'zfs', title: 'OpenZFS tools', ok: true, severity: 'error', detail: 'found at /usr/sbin/zfs' },
  { id: 'syncoid', title: 'syncoid (sanoid ≥ 2.2.0)', ok: false, severity: 'error', detail: 'syncoid is not on PATH', fix: { debian: 'sudo apt install sanoid', nixos: 'environment.systemPackages = [ pkgs.sanoid ];' } },
  { id: 'pv', title: 'pv (byte progress)', ok: false, severity: 'warning', detail: 'pv is not on PATH', fix: { debian: 'sudo apt install pv' } },
]
const sources: SourceCandidate[] = [
  { dataset: 'rpool/scratch', encrypted: false, encryptionRoot: null, snapshots: 0 },
  { dataset: 'rpool/nixos/home', encrypted: true, encryptionRoot: 'rpool/nixos', snapshots: 42 },
]
const fresh = () => appState({ configured: false, sources: [], drives: [] })

describe('first run', () => {
  it('shows the prerequisites, each failing one with its fix', async () => {
    const fake = fakeApi(fresh(), { 'doctor:get': checks, 'sources:list': sources })
    const screen = await render(<App api={fake.api} now={now} />)
    expect(screen.getByRole('navigation').query()).toBeNull()
    await expect.element(screen.getByText(/OpenZFS tools/)).toBeVisible()
    await expect.element(screen.getByText('sudo apt install sanoid')).toBeVisible()
    await expect.element(screen.getByText('environment.systemPackages = [ pkgs.sanoid ];')).toBeVisible()
    await expect.element(screen.getByText('sudo apt install pv')).toBeVisible()
    await screen.getByRole('button', { name: 'Check again' }).click()
    await expect.poll(() => fake.callsTo('doctor:get').length).toBe(2)
  })

  it('lists encrypted datasets first and flags an unencrypted one', async () => {
    const fake = fakeApi(fresh(), { 'doctor:get': checks, 'sources:list': sources })
    const screen = await render(<App api={fake.api} now={now} />)
    const boxes = screen.getByRole('group', { name: 'ZFS datasets on this computer' }).getByRole('checkbox')
    await expect.element(boxes.nth(0)).toHaveAccessibleName('rpool/nixos/home')
    await expect.element(boxes.nth(0)).toHaveAccessibleDescription('Encrypted (key from rpool/nixos) · 42 snapshots')
    await expect.element(boxes.nth(1)).toHaveAccessibleName('rpool/scratch')
    await expect.element(screen.getByText(/Not encrypted: its copy on the drive would be readable by anyone/)).toBeVisible()
  })

  it('saves the chosen datasets; an unencrypted one needs an explicit yes', async () => {
    const fake = fakeApi(fresh(), { 'doctor:get': checks, 'sources:list': sources })
    const screen = await render(<App api={fake.api} now={now} />)
    const save = screen.getByRole('button', { name: 'Use these datasets' })
    await expect.element(save).toBeDisabled()
    await screen.getByRole('checkbox', { name: 'rpool/nixos/home' }).click()
    await screen.getByRole('checkbox', { name: 'rpool/scratch' }).click()
    await expect.element(save).toBeDisabled()
    await expect.element(screen.getByText('Confirm the unencrypted dataset first, or leave it out.')).toBeVisible()
    await screen.getByRole('checkbox', { name: 'Back it up unencrypted anyway' }).click()
    await expect.element(save).toBeEnabled()
    await save.click()
    expect(fake.callsTo('sources:set')).toEqual([{ datasets: ['rpool/nixos/home', 'rpool/scratch'], allowUnencrypted: ['rpool/scratch'] }])
    await expect.element(screen.getByText('Saved.')).toBeVisible()
  })

  it('offers a new drive or adopting one only once sources are chosen', async () => {
    const fake = fakeApi(fresh(), { 'doctor:get': checks, 'sources:list': sources, 'disks:list': [] })
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Set up a new drive' })).toBeDisabled()
    await expect.element(screen.getByText('Choose what to back up first.')).toBeVisible()
    fake.setState(appState({ configured: false, sources: [{ dataset: 'rpool/nixos/home', allowUnencrypted: false }], drives: [] }))
    await screen.getByRole('button', { name: 'Set up a new drive' }).click()
    await expect.element(screen.getByRole('heading', { name: 'Set up a new drive' })).toBeVisible()
    await expect.element(screen.getByText('No disks found. Plug the drive in, then look again.')).toBeVisible()
  })

  it('adopts a drive prepared with the guide', async () => {
    const fake = fakeApi(appState({ configured: false, drives: [] }), { 'doctor:get': checks, 'sources:list': sources })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Use a drive prepared with the guide' }).click()
    await expect.element(screen.getByLabelText('Pool on the drive')).toHaveValue('backup')
    await expect.element(screen.getByLabelText('Dataset that receives the backup')).toHaveValue('backup/home')
    await screen.getByLabelText('Name for this drive').fill('Old WD')
    await screen.getByRole('button', { name: 'Adopt drive' }).click()
    expect(fake.callsTo('adopt:start')).toEqual([{ pool: 'backup', target: 'backup/home', name: 'Old WD', failmodeContinue: true }])
  })
})
