import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, drive, fakeApi, now } from './fake-api'

describe('eject', () => {
  it('imported: Eject exports and powers off', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'imported', canEject: { ok: true } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('Pool imported. Eject exports it and powers the drive off.')).toBeVisible()
    await screen.getByRole('button', { name: 'Eject' }).click()
    expect(fake.callsTo('drive:eject')).toEqual([{ drive: 'T7' }])
  })

  it('busy pool: lists the processes that hold it', async () => {
    const holders = [
      { pid: 4242, command: 'bash', path: '/backup/home/alice' },
      { pid: 777, command: 'vlc', path: '/backup/home/alice/film.mkv' },
    ]
    const fake = fakeApi(appState({ drives: [drive({ presence: 'imported', canEject: { ok: true }, busyHolders: holders })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const busy = screen.getByRole('alert')
    await expect.element(busy).toHaveTextContent('The pool is busy.')
    await expect.element(busy).toHaveTextContent('bash (PID 4242) has /backup/home/alice open')
    await expect.element(busy).toHaveTextContent('vlc (PID 777) has /backup/home/alice/film.mkv open')
    await expect.element(screen.getByRole('button', { name: 'Eject' })).toBeEnabled()
  })

  it('exported: still powered, Eject powers off', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'exported', canEject: { ok: true } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('Exported — still powered')).toBeVisible()
    await expect.element(screen.getByRole('button', { name: 'Eject' })).toBeEnabled()
  })

  it('powered off: safe to unplug, nothing to eject', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'poweredOff', canEject: { ok: false }, canBackUp: { ok: false } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('Powered off — safe to unplug', { exact: true })).toBeVisible()
    await expect.element(screen.getByRole('button', { name: 'Eject' })).toBeDisabled()
    await expect.element(screen.getByRole('button', { name: 'Eject' })).toHaveAccessibleDescription('Already powered off.')
  })

  it('a refused eject shows the reason', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'imported', canEject: { ok: true } })] }), { 'drive:eject': { accepted: false, reason: 'A backup is running.' } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Eject' }).click()
    await expect.element(screen.getByRole('alert')).toHaveTextContent('A backup is running.')
  })
})
