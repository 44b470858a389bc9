import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, drive, fakeApi, now, runRecord, runStatus } from './fake-api'

const running = () => appState({ drives: [drive({ presence: 'imported', canBackUp: { ok: false, reason: 'A backup is running.' } })], run: runStatus() })

describe('progress', () => {
  it('running: step N of M with its name, bytes of total, rate, ETA, the exact command, Cancel', async () => {
    const fake = fakeApi(running())
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('heading', { name: 'Backing up T7' })).toBeVisible()
    await expect.element(screen.getByText('Step 3 of 6:')).toBeVisible()
    await expect.element(screen.getByText('Replicate rpool/nixos/home', { exact: true }).first()).toBeVisible()
    const bar = screen.getByRole('progressbar', { name: 'Replicate rpool/nixos/home: bytes copied' })
    await expect.element(bar).toHaveAttribute('value', String(1024 ** 3))
    await expect.element(bar).toHaveAttribute('max', String(4 * 1024 ** 3))
    await expect.element(screen.getByText('1.00 GiB of 4.00 GiB')).toBeVisible()
    await expect.element(screen.getByText('(25 %)')).toBeVisible()
    await expect.element(screen.getByTestId('rate')).toHaveTextContent('50.0 MiB/s')
    await expect.element(screen.getByTestId('eta')).toHaveTextContent('about 1 min left')
    await expect.element(screen.getByText('syncoid --sendoptions=w --compress=none --delete-target-snapshots --no-sync-snap --no-rollback rpool/nixos/home backup/home')).toBeVisible()
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeDisabled()
    await screen.getByRole('button', { name: 'Cancel' }).click()
    expect(fake.callsTo('run:cancel')).toEqual([undefined])
  })

  it('stalled: rate and ETA hidden, says it is waiting', async () => {
    const fake = fakeApi(appState({ run: runStatus({ stalled: true }) }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText(/No data has moved for a few seconds/)).toBeVisible()
    await expect.element(screen.getByText('1.00 GiB of 4.00 GiB')).toBeVisible()
    expect(screen.getByTestId('eta').query()).toBeNull()
    expect(screen.getByTestId('rate').query()).toBeNull()
  })

  it('unknown total: an indeterminate bar and bytes copied so far', async () => {
    const fake = fakeApi(appState({ run: runStatus({ progress: { bytes: 5 * 1024 ** 2, totalBytes: null, bytesPerSecond: null, etaSeconds: null } }) }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('5.00 MiB copied')).toBeVisible()
    await expect.element(screen.getByRole('progressbar')).not.toHaveAttribute('value')
  })

  it('a step that cannot be cancelled disables Cancel with the reason', async () => {
    const fake = fakeApi(appState({ run: runStatus({ cancellable: false }) }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Cancel' })).toBeDisabled()
    await expect.element(screen.getByRole('button', { name: 'Cancel' })).toHaveAccessibleDescription('This step finishes before the run can stop.')
  })

  it('follows pushed state and lists the commands from run events', async () => {
    const fake = fakeApi(appState())
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Back up now' })).toBeEnabled()
    fake.push('run:event', { type: 'run-started', runId: 'run-1', verb: 'backup', drive: 'T7', steps: [{ id: 'import', title: 'Import' }, { id: 'replicate', title: 'Replicate' }], at: new Date().toISOString() })
    fake.push('run:event', { type: 'command', step: 'import', argv: ['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '1234'] })
    fake.setState(running())
    await expect.element(screen.getByText('Step 3 of 6:')).toBeVisible()
    await screen.getByText(/All steps and commands \(1\)/).click()
    await expect.element(screen.getByRole('list', { name: 'Commands run so far' })).toHaveTextContent('zpool import -d /dev/disk/by-id -N 1234')
    fake.setState(appState({ run: runStatus({ progress: { bytes: 3 * 1024 ** 3, totalBytes: 4 * 1024 ** 3, bytesPerSecond: 10 * 1024 ** 2, etaSeconds: 3600 + 600 } }) }))
    await expect.element(screen.getByText('3.00 GiB of 4.00 GiB')).toBeVisible()
    await expect.element(screen.getByTestId('eta')).toHaveTextContent('about 1 h 10 min left')
  })

  it('done: the last run says safe to unplug once the drive is powered off', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'poweredOff', canBackUp: { ok: false, reason: 'Plug the drive in again to back up.' } })], lastRun: runRecord() }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('heading', { name: 'Backup of T7 done — safe to unplug' })).toBeVisible()
    await expect.element(screen.getByRole('status', { name: 'Last run' })).toHaveTextContent('3.00 GiB copied')
  })

  it('failed: the error and what to do', async () => {
    const fake = fakeApi(appState({ lastRun: runRecord({ outcome: 'failed', error: { code: 'target-modified', message: 'The copy on the drive was changed since the last backup.', hint: 'Roll the drive back to its newest common snapshot: zfs rollback -r backup/home@autosnap_1' } }) }))
    const screen = await render(<App api={fake.api} now={now} />)
    const alert = screen.getByRole('alert')
    await expect.element(alert).toHaveTextContent('Backup of T7 failed')
    await expect.element(alert).toHaveTextContent('The copy on the drive was changed since the last backup.')
    await expect.element(alert).toHaveTextContent('What to do: Roll the drive back to its newest common snapshot')
  })

  it('cancelled: says so', async () => {
    const fake = fakeApi(appState({ lastRun: runRecord({ outcome: 'cancelled' }) }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('heading', { name: 'Backup of T7 cancelled' })).toBeVisible()
  })
})
