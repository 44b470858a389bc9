import { describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { App } from '../../renderer/src/App'
import { appState, fakeApi, now } from './fake-api'

const src = (s: string, guid: string, at: string) => ({ name: `rpool/nixos/home@${s}`, guid, createdAt: at })
const dst = (s: string, guid: string, at: string) => ({ name: `backup/home@${s}`, guid, createdAt: at })
const source = [src('autosnap_03-08', '1', '2025-03-08T10:00:00Z'), src('autosnap_03-09', '2', '2025-03-09T10:00:00Z'), src('autosnap_03-10', '3', '2025-03-10T10:00:00Z')]

/** A timeline as main sends it (main/engine/snapshots.ts matched the two sides), newest first. */
const row = (snapshot: string, guid: string, createdAt: string, onSource: boolean, onDrive: boolean | null): { snapshot: string; guid: string; createdAt: string; onSource: boolean; onDrive: boolean | null; retention?: 'keep' | 'prune' } => ({ snapshot, guid, createdAt, onSource, onDrive })
const timeline = (rows: ReturnType<typeof row>[]) => [{ source: 'rpool/nixos/home', target: 'backup/home', rows }]

describe('snapshots and diff', () => {
  it('one timeline: which snapshots are on the laptop, on the drive, or both', async () => {
    const drive = [dst('autosnap_03-01', '0', '2025-03-01T10:00:00Z'), dst('autosnap_03-08', '1', '2025-03-08T10:00:00Z'), dst('autosnap_03-09', '2', '2025-03-09T10:00:00Z')]
    const timelines = timeline([
      row('autosnap_03-10', '3', '2025-03-10T10:00:00Z', true, false),
      row('autosnap_03-09', '2', '2025-03-09T10:00:00Z', true, true),
      row('autosnap_03-08', '1', '2025-03-08T10:00:00Z', true, true),
      row('autosnap_03-01', '0', '2025-03-01T10:00:00Z', false, true),
    ])
    const fake = fakeApi(appState(), { 'snapshots:list': { source, drive, timelines } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    const home = screen.getByRole('table', { name: 'rpool/nixos/home' })
    await expect.element(home.getByRole('row').nth(1)).toHaveTextContent(/autosnap_03-10.*yes.*no/)
    await expect.element(home.getByRole('row').nth(2)).toHaveTextContent(/autosnap_03-09.*yes.*yes/)
    await expect.element(home.getByRole('row').nth(3)).toHaveTextContent(/autosnap_03-08.*yes.*yes/)
    // Pruned on the laptop, still on the drive: same timeline, oldest last.
    await expect.element(home.getByRole('row').nth(4)).toHaveTextContent(/autosnap_03-01.*no.*yes/)
    expect(fake.callsTo('snapshots:list')).toEqual([{ drive: 'T7' }])
  })

  it('a keep policy: what the drive keeps that the laptop pruned, and what goes at the next backup', async () => {
    const timelines = timeline([
      { ...row('autosnap_03-10', '3', '2025-03-10T10:00:00Z', true, true), retention: 'keep' as const },
      { ...row('autosnap_03-05', '1', '2025-03-05T10:00:00Z', false, true), retention: 'keep' as const },
      { ...row('autosnap_03-01', '0', '2025-03-01T10:00:00Z', false, true), retention: 'prune' as const },
    ])
    const fake = fakeApi(appState(), { 'snapshots:list': { source, drive: [], timelines } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    const home = screen.getByRole('table', { name: 'rpool/nixos/home' })
    await expect.element(home.getByRole('row').nth(1)).not.toHaveTextContent(/kept|removed/)
    await expect.element(home.getByRole('row').nth(2)).toHaveTextContent(/autosnap_03-05.*no.*yes — kept by this drive's retention/)
    await expect.element(home.getByRole('row').nth(3)).toHaveTextContent(/autosnap_03-01.*no.*yes — removed at the next backup/)
  })

  it('drive not readable: says so and marks the drive column "not read"', async () => {
    const timelines = timeline([row('autosnap_03-10', '3', '2025-03-10T10:00:00Z', true, null)])
    const fake = fakeApi(appState(), { 'snapshots:list': { source, drive: null, timelines, driveNote: 'Reading the drive’s snapshots needs the drive imported (root).' } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    await expect.element(screen.getByText('Reading the drive’s snapshots needs the drive imported (root).')).toBeVisible()
    await expect.element(screen.getByRole('row').nth(1)).toHaveTextContent(/autosnap_03-10.*yes.*not read/)
  })

  it('no snapshots on either side yet', async () => {
    const fake = fakeApi(appState(), { 'snapshots:list': { source: [], drive: [], timelines: timeline([]) } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    await expect.element(screen.getByText('No snapshots yet: sanoid has not taken any.')).toBeVisible()
  })

  it('zfs diff between two chosen snapshots, with + − M R', async () => {
    const fake = fakeApi(appState(), {
      'snapshots:list': { source, drive: null, timelines: [] },
      'diff:get': {
        entries: [
          { change: '+', path: '/home/alice/new.txt' },
          { change: '-', path: '/home/alice/old.txt' },
          { change: 'M', path: '/home/alice' },
          { change: 'R', path: '/home/alice/a.txt', newPath: '/home/alice/b.txt' },
        ],
      },
    })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    await expect.element(screen.getByLabelText('From')).toHaveValue('rpool/nixos/home@autosnap_03-09')
    await expect.element(screen.getByLabelText('To')).toHaveValue('rpool/nixos/home@autosnap_03-10')
    await screen.getByLabelText('From').selectOptions('autosnap_03-08')
    await screen.getByRole('button', { name: 'Show changes' }).click()
    expect(fake.callsTo('diff:get')).toEqual([{ dataset: 'rpool/nixos/home', from: 'autosnap_03-08', to: 'autosnap_03-10' }])
    const changes = screen.getByRole('list', { name: 'Changes' }).getByRole('listitem')
    await expect.element(changes.nth(0)).toHaveTextContent('+added: /home/alice/new.txt')
    await expect.element(changes.nth(1)).toHaveTextContent('−removed: /home/alice/old.txt')
    await expect.element(changes.nth(2)).toHaveTextContent('Mmodified: /home/alice')
    await expect.element(changes.nth(3)).toHaveTextContent('Rrenamed: /home/alice/a.txt → /home/alice/b.txt')
  })

  it('diff against the live files, and a failed diff says why', async () => {
    const fake = fakeApi(appState(), {
      'snapshots:list': { source, drive: null, timelines: [] },
      'diff:get': () => {
        throw new Error('zfs diff needs the "diff" permission on rpool/nixos/home')
      },
    })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    await screen.getByLabelText('To').selectOptions('now (the live files)')
    await screen.getByRole('button', { name: 'Show changes' }).click()
    expect(fake.callsTo('diff:get')).toEqual([{ dataset: 'rpool/nixos/home', from: 'autosnap_03-09', to: 'rpool/nixos/home' }])
    await expect.element(screen.getByRole('alert')).toHaveTextContent('needs the "diff" permission')
  })

  it('same snapshot twice: nothing to compare', async () => {
    const fake = fakeApi(appState(), { 'snapshots:list': { source, drive: null, timelines: [] } })
    const screen = await render(<App api={fake.api} now={now} />)
    await screen.getByRole('button', { name: 'Snapshots' }).click()
    await screen.getByLabelText('From').selectOptions('autosnap_03-10')
    await expect.element(screen.getByRole('button', { name: 'Show changes' })).toBeDisabled()
  })
})
