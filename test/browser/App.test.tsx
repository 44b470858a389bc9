import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import type { AppState, BackupApi } from '../../preload/contract'

function fakeApi(state: AppState, answers: Partial<Record<string, unknown>> = {}): BackupApi {
  return {
    invoke: async (channel) => (channel === 'state:get' ? state : answers[channel] ?? { accepted: true }) as never,
    on: () => () => undefined,
  }
}

const drive = {
  name: 'T7', pool: 'backup', lastBackupAt: new Date(Date.now() - 3 * 86400_000).toISOString(), stale: false, staleAfterDays: 7,
  lastScrub: null, scrubDue: false, snapshots: { sourceNewest: null, driveNewest: null, missingOnDrive: null }, busyHolders: null,
  canBackUp: { ok: true }, canEject: { ok: false },
}

describe('tray window', () => {
  it('says when no drive is set up', async () => {
    const screen = await render(<App api={fakeApi({ configured: false, sources: [], drives: [], run: null, lastRun: null, restore: null })} />)
    await expect.element(screen.getByRole('status')).toHaveTextContent('No backup drive is set up yet.')
  })

  it('shows the last backup as an age and enables Back up now for a connected drive', async () => {
    const screen = await render(<App api={fakeApi({ configured: true, sources: [], drives: [{ ...drive, presence: 'connected' as const }], run: null, lastRun: null, restore: null })} />)
    await expect.element(screen.getByText('Last backup: 3 days ago')).toBeVisible()
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeEnabled()
  })

  it('disables Back up now with the reason when the drive is absent', async () => {
    const screen = await render(<App api={fakeApi({ configured: true, sources: [], drives: [{ ...drive, presence: 'absent' as const }], run: null, lastRun: null, restore: null })} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeDisabled()
    await expect.element(screen.getByText('Connect the drive first.')).toBeVisible()
  })

  it('shows why a backup was refused', async () => {
    const api = fakeApi({ configured: true, sources: [], drives: [{ ...drive, presence: 'connected' as const }], run: null, lastRun: null, restore: null }, { 'backup:start': { accepted: false, reason: 'The pool is busy.' } })
    const screen = await render(<App api={api} />)
    await screen.getByRole('button', { name: 'Back up now' }).click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('The pool is busy.')
  })
})
