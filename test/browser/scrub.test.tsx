import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, ago, DAY, drive, fakeApi, now } from './fake-api'

describe('scrub', () => {
  it('never scrubbed, due: start a scrub', async () => {
    const fake = fakeApi(appState({ drives: [drive({ scrubDue: true })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByText('Never scrubbed.')).toBeVisible()
    await expect.element(screen.getByText(/A scrub is due/)).toBeVisible()
    await screen.getByRole('button', { name: 'Start scrub' }).click()
    expect(fake.callsTo('scrub:start')).toEqual([{ drive: 'T7' }])
  })

  it('last scrub with errors and repaired bytes', async () => {
    const fake = fakeApi(appState({ drives: [drive({ lastScrub: { at: ago(40 * DAY), errors: 3, repairedBytes: 128 * 1024 } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    const panel = screen.getByRole('region', { name: 'Scrub T7' })
    await expect.element(panel).toHaveTextContent('(40 days ago)')
    await expect.element(panel).toHaveTextContent('3 errors, 128 KiB repaired.')
  })

  it('clean scrub', async () => {
    const fake = fakeApi(appState({ drives: [drive({ lastScrub: { at: ago(2 * DAY), errors: 0, repairedBytes: 0 } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('region', { name: 'Scrub T7' })).toHaveTextContent('no errors.')
  })

  it('absent: cannot scrub', async () => {
    const fake = fakeApi(appState({ drives: [drive({ presence: 'absent', canBackUp: { ok: false } })] }))
    const screen = await render(<App api={fake.api} now={now} />)
    await expect.element(screen.getByRole('button', { name: 'Start scrub' })).toBeDisabled()
  })
})
