import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, DAY, ago, fakeApi, now, runRecord } from './fake-api'

const failed = runRecord({
  id: 'rec-2',
  startedAt: ago(2 * DAY),
  finishedAt: ago(2 * DAY - 8000),
  outcome: 'failed',
  durationMs: 8000,
  bytes: 0,
  steps: [{ id: 'export', title: 'Export the pool', outcome: 'failed', durationMs: 8000, commands: [['zpool', 'export', 'backup']] }],
  error: { code: 'pool-busy', message: 'The pool is busy: bash (PID 4242) holds /backup/home.', hint: 'Close the programs using the drive, then press Eject.' },
})

describe('history', () => {
  it('lists runs with outcome, duration and bytes, newest first; a failed one shows error and hint', async () => {
    const fake = fakeApi(appState(), { 'history:list': [failed, runRecord()] })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'History' }).click()
    await expect.element(screen.getByRole('button', { name: 'History' })).toHaveAttribute('aria-current', 'page')
    const runs = screen.getByRole('article')
    await expect.element(runs.nth(0)).toHaveTextContent('succeeded')
    await expect.element(runs.nth(0)).toHaveTextContent('1 min 35 s · 3.00 GiB')
    await expect.element(runs.nth(1)).toHaveTextContent('failed')
    await expect.element(runs.nth(1)).toHaveTextContent('The pool is busy: bash (PID 4242) holds /backup/home.')
    await expect.element(runs.nth(1)).toHaveTextContent('What to do: Close the programs using the drive, then press Eject.')
    expect(fake.callsTo('history:list')).toEqual([{ limit: 50 }])
  })

  it('shows the commands each step ran', async () => {
    const fake = fakeApi(appState(), { 'history:list': [runRecord()] })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'History' }).click()
    await screen.getByText('Steps and commands').click()
    await expect.element(screen.getByText('zpool import -d /dev/disk/by-id -N 1234567890')).toBeVisible()
    await expect.element(screen.getByText('syncoid --sendoptions=w rpool/nixos/home backup/home')).toBeVisible()
  })

  it('empty history', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'History' }).click()
    await expect.element(screen.getByText('No runs yet.')).toBeVisible()
  })

  it('reloads when a run finishes', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'History' }).click()
    await expect.element(screen.getByText('No runs yet.')).toBeVisible()
    fake.setState(appState({ lastRun: runRecord() }))
    await expect.poll(() => fake.callsTo('history:list').length).toBe(2)
  })
})
