// The native engine ends where the guide's syncoid ends: the app backs up to one drive, the guide's
// literal syncoid command to a twin drive, from the same source, round after round (first copy; new
// sanoid-style snapshots; the laptop pruning its oldest as it takes a new one; nothing new). After every
// round both drives hold the same snapshot names with the same guids. Then `engine: "syncoid"` still works.
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backup } from '../../main/engine/backup'
import type { RunEvent } from '../../shared/events'
import { RunEvent as RunEventSchema } from '../../shared/events'
import type { Config } from '../../main/config/schema'
import { ProcessRunner } from '../../main/system/runner'
import { unplug } from './guest/drives'
import { saveArtifact } from './guest/env'
import { configFor, makeBackupDrive, makeSource, snap, snapshotGuids, writeRandom, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'
import { unwrapDieWithParent } from '../../main/system/setpriv'

const tmp = mkdtempSync('/tmp/parity-')
const APP_TARGET = 'pnat/laptop'
const TWIN_TARGET = 'psyn/laptop'

let src: SourcePool
let appDrive: BackupDrive
let twin: BackupDrive
let config: Config

async function run(cfg: Config) {
  const events: RunEvent[] = []
  const outcome = await backup({
    config: cfg, runner: new ProcessRunner(), lockPath: join(tmp, 'run.lock'), signal: new AbortController().signal,
    emit: (e) => {
      RunEventSchema.parse(e)
      events.push(e)
    },
  })
  return { outcome, events, commands: events.flatMap((e) => (e.type === 'command' ? [e.argv] : [])), error: events.find((e) => e.type === 'error') }
}

/** The guide's section 5 command, to the letter, into the twin drive. */
const guideSyncoid = (): Promise<unknown> => sh(['syncoid', '--sendoptions=w', '--compress=none', '--delete-target-snapshots', '--no-sync-snap', '--no-rollback', src.dataset, TWIN_TARGET])

async function expectSameOnBoth(): Promise<Map<string, string>> {
  const app = await snapshotGuids(APP_TARGET)
  const guide = await snapshotGuids(TWIN_TARGET)
  expect([...app]).toEqual([...guide])
  return app
}

const transfers = (commands: string[][]): string[][] => commands.filter((a) => a.includes('send') && a.includes('zfs') && !a.includes('-n'))

beforeAll(async () => {
  src = await makeSource('parlap', { sizeMb: 512 })
  writeRandom(src, 'a.bin', 6)
  await snap(src, 'daily')
  writeRandom(src, 'b.bin', 3)
  await snap(src)
  await snap(src)
  appDrive = await makeBackupDrive('par1', 'pnat')
  twin = await makeBackupDrive('par2', 'psyn')
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', twin.guid])
  // The app leaves its pool imported between rounds so the rounds compare without replugging.
  config = configFor(src, [{ name: 'Native', drive: appDrive, target: APP_TARGET }], { afterBackup: { export: false, powerOff: false } })
})

afterAll(async () => {
  for (const pool of ['pnat', 'psyn']) await sh(['zpool', 'export', pool], { ok: false })
  await unplug(appDrive.usb)
  await unplug(twin.usb)
  await sh(['zpool', 'destroy', '-f', 'parlap'], { ok: false })
})

describe('the native engine and the guide\'s syncoid end in the same place', () => {
  it('first copy: a full stream of the oldest snapshot, then -I to the newest, with no sync snapshot and no -F', async () => {
    const r = await run(config)
    saveArtifact('parity/first-run-events.json', JSON.stringify(r.events, null, 1))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    await guideSyncoid()
    const names = [...(await expectSameOnBoth()).keys()]
    expect(names).toEqual([...(await snapshotGuids(src.dataset)).keys()])
    expect(names.every((n) => n.startsWith('autosnap_'))).toBe(true)

    const sent = transfers(r.commands)
    expect(sent).toHaveLength(2)
    expect(sent[0]).toEqual(expect.arrayContaining(['zfs', 'send', '-w', '-v', '-P', `${src.dataset}@${names[0]}`]))
    expect(sent[0]).not.toContain('-I')
    expect(sent[1]).toEqual(expect.arrayContaining(['-I', `${src.dataset}@${names[0]}`, `${src.dataset}@${names.at(-1)}`]))
    expect(r.commands).toContainEqual(expect.arrayContaining(['zfs', 'receive', '-s', '-u', APP_TARGET]))
    expect(r.commands.some((a) => a.includes('-F'))).toBe(false)
    expect(r.commands.some((a) => a.includes('syncoid') || a.includes('perl'))).toBe(false)
  })

  it('new snapshots: one -I from the newest common snapshot', async () => {
    writeRandom(src, 'c.bin', 2)
    await snap(src)
    await snap(src)
    const r = await run(config)
    expect(r.error).toBeUndefined()
    await guideSyncoid()
    await expectSameOnBoth()
    expect(transfers(r.commands)).toHaveLength(1)
  })

  it('the laptop prunes its oldest while taking a new one: both drives drop it, in one batched destroy', async () => {
    const before = [...(await snapshotGuids(src.dataset)).keys()]
    await sh(['zfs', 'destroy', `${src.dataset}@${before[0]},${before[1]}`])
    writeRandom(src, 'd.bin', 1)
    await snap(src)
    const r = await run(config)
    expect(r.error).toBeUndefined()
    await guideSyncoid()
    const names = [...(await expectSameOnBoth()).keys()]
    expect(names).not.toContain(before[0])
    expect(names).not.toContain(before[1])
    // One batched destroy on the drive; the only other destroy is the laptop's previous bookmark for this drive.
    expect(r.commands.filter((a) => a[1] === 'destroy' && a[2]!.startsWith(`${APP_TARGET}@`))).toEqual([['zfs', 'destroy', `${APP_TARGET}@${before[0]},${before[1]}`]])
    expect(r.commands.filter((a) => a[1] === 'destroy' && !a[2]!.startsWith(`${APP_TARGET}@`)).every((a) => a[2]!.startsWith(`${src.dataset}#zfs-drive-backup-`))).toBe(true)
  })

  it('nothing new: nothing is sent, one listing per side, and both drives are unchanged', async () => {
    const r = await run(config)
    expect(r.outcome).toBe('succeeded')
    await guideSyncoid()
    await expectSameOnBoth()
    expect(transfers(r.commands)).toEqual([])
    const lists = r.commands.filter((a) => a[0] === 'zfs' && a[1] === 'list')
    // At most one listing for both sides: none when snapshots_changed proves nothing moved since the last verified run
    // (a value from the run's own second is not trusted, so which of the two happens depends on the clock).
    const one = [['zfs', 'list', '-Hp', '-t', 'snapshot,bookmark', '-o', 'name,guid,createtxg', '-d', '1', src.dataset, APP_TARGET]]
    expect(lists.length === 0 ? [] : lists).toEqual(lists.length === 0 ? [] : one)
  })

  it('engine "syncoid" still backs up, without --delete-target-snapshots, and the app prunes', async () => {
    const before = [...(await snapshotGuids(src.dataset)).keys()]
    await sh(['zfs', 'destroy', `${src.dataset}@${before[0]}`])
    writeRandom(src, 'e.bin', 1)
    await snap(src)
    const r = await run({ ...config, replication: { ...config.replication, engine: 'syncoid' } })
    expect(r.error).toBeUndefined()
    const syncoid = r.commands.find((a) => unwrapDieWithParent(a)[0] === 'syncoid' && !a.includes('--version'))
    // In a PID namespace that dies with the run (setpriv.ts), so its shell pipeline cannot outlive it.
    expect(syncoid).toEqual(['setpriv', '--pdeathsig', 'KILL', '--', 'unshare', '--pid', '--fork', '--kill-child', '--', 'syncoid', '--sendoptions=w', '--compress=none', '--no-sync-snap', '--no-rollback', '--pv-options=-f -n -b -i 0.5', src.dataset, APP_TARGET])
    expect(r.commands).toContainEqual(['zfs', 'destroy', `${APP_TARGET}@${before[0]}`])
    await guideSyncoid()
    await expectSameOnBoth()
  })

  it('engine "syncoid" refuses a target with \':\' before running anything that writes', async () => {
    const colon = configFor(src, [{ name: 'Native', drive: appDrive, target: 'pnat/lap:top' }], { afterBackup: { export: false, powerOff: false }, replication: { ...config.replication, engine: 'syncoid' } })
    const r = await run(colon)
    expect(r.error).toMatchObject({ code: 'syncoid-unsafe-name' })
    expect(r.commands.some((a) => unwrapDieWithParent(a)[0] === 'syncoid' && !a.includes('--version'))).toBe(false)
  })
})
