// The pool is the drive's, by GUID, at every step. With stand-in zpool/zfs/syncoid that log every argv:
// the issue's case (the drive's pool, GUID 222, imported as backup2 while another pool called backup,
// GUID 333, is imported) must send, prune, scrub, check a key or export nothing on the other pool.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../../main/config/load'
import { adopt } from '../../../main/engine/adopt'
import { failmodeChecks } from '../../../main/engine/doctor'
import { backup } from '../../../main/engine/backup'
import { eject } from '../../../main/engine/eject'
import type { RunEvent } from '../../../shared/events'
import { restoreOpen } from '../../../main/engine/restore'
import { scrub } from '../../../main/engine/scrub'
import { verifyKey } from '../../../main/engine/verify-key'
import { ProcessRunner } from '../../../main/system/runner'
import { kernelLog } from '../../../main/system/kmsg'
import { markBroken } from '../../../main/engine/verified-state'
import { encrypted, SNAPS, StandIns, type FakePool, type World } from '../stand-ins/world'

const T7 = '/dev/disk/by-id/usb-Samsung_T7_ZDBTEST222'
const OTHER = '/dev/disk/by-id/usb-Other_Drive_ZDBTEST333'
const config = parseConfig({
  version: 1,
  sources: [{ dataset: 'rpool/home' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: '222', disk: T7, targets: { 'rpool/home': 'backup/home' } }],
  // The stand-ins model syncoid's receive, not zfs receive: the pool checks are the same for both engines.
  replication: { engine: 'syncoid' },
})
const laptop: FakePool = { name: 'rpool', guid: '111', disk: '/dev/disk/by-id/nvme-laptop', imported: true, datasets: { home: encrypted([...SNAPS, ['autosnap_2026-11-27_02:00:00_hourly', '2063594860801958916', '14', '1795757136']]) } }
const drive = (over: Partial<FakePool> = {}): FakePool => ({ name: 'backup', guid: '222', disk: T7, imported: false, datasets: { '': encrypted([]), home: encrypted() }, ...over })
const other = (over: Partial<FakePool> = {}): FakePool => ({ name: 'backup', guid: '333', disk: OTHER, imported: true, datasets: { '': encrypted([]), home: encrypted([['old', '42', '3', '1795750000'], ...SNAPS]) }, ...over })

// Each stand-in command starts a node process: several per step, slow on a loaded machine.
vi.setConfig({ testTimeout: 60_000 })

const tools = new StandIns({ pools: [] })
const lockDir = mkdtempSync(join(tmpdir(), 'zdb-lock-'))
beforeAll(() => tools.enter())
afterAll(() => tools.leave())
beforeEach(() => void vi.spyOn(process, 'getuid').mockReturnValue(0))
afterEach(() => vi.restoreAllMocks())

async function run(world: World, start: (o: { config: typeof config; runner: ProcessRunner; emit: (e: RunEvent) => void; signal: AbortSignal; lockPath: string }) => Promise<string>) {
  tools.set(world)
  const events: RunEvent[] = []
  const outcome = await start({ config, runner: new ProcessRunner(), emit: (e) => events.push(e), signal: new AbortController().signal, lockPath: join(lockDir, 'lock') })
  const error = events.find((e) => e.type === 'error')
  return { outcome, error: error?.type === 'error' ? error : null, calls: tools.calls(), world: tools.world() }
}

/** Commands that change a pool or a disk (listings and version checks left out). */
const changes = (calls: string[][]) => calls.filter(([tool, sub, ...rest]) =>
  (tool === 'zpool' && ['import', 'export', 'scrub', 'set'].includes(sub!)) || (tool === 'zfs' && ['destroy', 'mount', 'load-key'].includes(sub!)) || (tool === 'syncoid' && !rest.includes('--version') && sub !== '--version') || tool === 'udisksctl')

const issueCase = (): World => ({ pools: [laptop, other(), drive({ name: 'backup2', imported: true })], passphrase: 'pw' })

describe('the drive imported as backup2 while another pool called backup is imported (the issue\'s case)', () => {
  it('backup refuses, sends nothing, prunes nothing and exports nothing', async () => {
    const r = await run(issueCase(), (o) => backup(o))
    expect(r.outcome).toBe('failed')
    expect(r.error).toMatchObject({ code: 'pool-name-clash', message: expect.stringMatching(/Another pool named backup \(GUID 333\).*imported as backup2/) })
    expect(changes(r.calls)).toEqual([])
    expect(r.world.pools.find((p) => p.guid === '333')!.datasets.home!.snapshots.map((s) => s[0])).toContain('old')
  })

  it.each([
    ['scrub', (o: Parameters<typeof scrub>[0]) => scrub({ ...o, wait: true, pollMs: 10 })],
    ['verify-key', (o: Parameters<typeof scrub>[0]) => verifyKey({ ...o, passphrase: 'pw' })],
  ])('%s refuses and touches neither pool', async (_verb, start) => {
    const r = await run(issueCase(), start)
    expect(r.error?.code).toBe('pool-name-clash')
    expect(changes(r.calls)).toEqual([])
  })

  it('restore open refuses before asking for the passphrase', async () => {
    const asked: string[] = []
    const r = await run(issueCase(), (o) => restoreOpen({ ...o, passphrase: async (ds) => (asked.push(ds), 'pw') }))
    expect(r.error?.code).toBe('pool-name-clash')
    expect(asked).toEqual([])
    expect(changes(r.calls)).toEqual([])
  })

  it('eject exports the drive\'s pool (backup2, found by GUID), never the other backup', async () => {
    const r = await run(issueCase(), (o) => eject(o))
    expect(r.outcome).toBe('succeeded')
    expect(changes(r.calls)).toEqual([['zpool', 'export', 'backup2']])
    expect(r.world.pools.find((p) => p.guid === '333')!.imported).toBe(true)
  })
})

describe('the drive\'s pool, by GUID, at every step', () => {
  it('refuses a drive whose pool is imported under another name, and leaves it imported as it was', async () => {
    const r = await run({ pools: [laptop, drive({ name: 'elsewhere', imported: true })] }, (o) => backup(o))
    expect(r.error).toMatchObject({ code: 'pool-name-mismatch', message: expect.stringMatching(/imported as elsewhere.*configured in backup/) })
    expect(changes(r.calls)).toEqual([])
  })

  it('a pool imported by the run and then found under another name is exported again before the refusal', async () => {
    const r = await run({ pools: [laptop, drive({ name: 'renamed' })] }, (o) => backup(o))
    expect(r.error?.code).toBe('pool-name-mismatch')
    expect(changes(r.calls)).toEqual([['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '-o', 'failmode=continue', '222'], ['zpool', 'export', 'renamed']])
  })

  it('refuses when the drive is not imported and another pool has its name (nothing is imported)', async () => {
    const r = await run({ pools: [laptop, other(), drive()] }, (o) => backup(o))
    expect(r.error?.code).toBe('pool-name-clash')
    expect(changes(r.calls)).toEqual([])
  })

  it('a normal backup imports by GUID, sends into the drive\'s pool and exports it by the name read from the GUID', async () => {
    const r = await run({ pools: [laptop, drive()] }, (o) => backup({ ...o, statePath: join(lockDir, 'verified.json') }))
    expect(r.error).toBeNull()
    expect(r.outcome).toBe('succeeded')
    const c = changes(r.calls)
    expect(c[0]).toEqual(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '-o', 'failmode=continue', '222'])
    expect(c.find((x) => x[0] === 'syncoid')?.slice(-2)).toEqual(['rpool/home', 'backup/home'])
    expect(c.at(-1)).toEqual(['zpool', 'export', 'backup'])
  })

  it('adopt re-reads the name from the GUID it imported, and offers failmode=continue', async () => {
    tools.set({ pools: [laptop, drive()] })
    const events: RunEvent[] = []
    const base = { config, pool: 'backup', target: 'backup/home', name: 'T7', runner: new ProcessRunner(), emit: (e: RunEvent) => events.push(e), signal: new AbortController().signal, lockPath: join(lockDir, 'lock') }
    // Listing importable pools is `zpool import -d …` with no GUID: the stand-in answers nothing, so
    // adopt finds the pool already imported here.
    tools.set({ pools: [laptop, drive({ imported: true })] })
    expect(await adopt(base)).toBe('succeeded')
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'failmode-wait' }))
    tools.set({ pools: [laptop, drive({ imported: true })] })
    expect(await adopt({ ...base, failmodeContinue: true })).toBe('succeeded')
    expect(tools.calls()).toContainEqual(['zpool', 'set', 'failmode=continue', 'backup'])
  })

  it('doctor warns about a configured drive whose pool keeps failmode=wait, with the fix', async () => {
    tools.set({ pools: [laptop, drive({ imported: true })] })
    expect(await failmodeChecks(new ProcessRunner(), config)).toEqual([expect.objectContaining({ ok: false, severity: 'warning', detail: expect.stringMatching(/failmode=wait/), fix: expect.objectContaining({ debian: 'sudo zpool set failmode=continue backup' }) })])
    tools.set({ pools: [laptop, drive({ imported: true, failmode: 'continue' })] })
    expect(await failmodeChecks(new ProcessRunner(), config)).toEqual([expect.objectContaining({ ok: true })])
  })

  it('doctor says a reboot is needed for a pool ZFS broke on in this boot, and asks it nothing', async () => {
    tools.set({ pools: [laptop, drive({ imported: true, failmode: 'continue' })] })
    const statePath = join(mkdtempSync(join(tmpdir(), 'zdb-doctor-')), 'verified.json')
    markBroken(statePath, '222', kernelLog.bootId(), 'ZFS hit an internal error (PANIC at zio.c:4892:zio_encrypt())')
    expect(await failmodeChecks(new ProcessRunner(), config, statePath)).toEqual([expect.objectContaining({ id: 'broken:T7', ok: false, severity: 'error', detail: 'pool backup: ZFS hit an internal error (PANIC at zio.c:4892:zio_encrypt())', fix: expect.objectContaining({ debian: expect.stringMatching(/^Reboot/) }) })])
    markBroken(statePath, '222', 'an earlier boot', 'whatever')
    expect(await failmodeChecks(new ProcessRunner(), config, statePath)).toEqual([expect.objectContaining({ id: 'failmode:T7', ok: true })])
  })
})
