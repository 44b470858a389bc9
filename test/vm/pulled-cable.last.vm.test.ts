// A cable pulled mid-run, through the CLI as a user meets it, with the guest's real USB, udev and OpenZFS:
// during the transfer (a drive made by setup, failmode=continue, and one made by the guide's commands,
// failmode=wait until the app imports it), during pruning and during power-off. Each time the run ends
// within 30 s saying the drive was disconnected, no zfs command on the machine hangs, the laptop's pool
// keeps working, no process of the run is left, and once the drive is back the next backup takes the pool
// back and finishes with the same guids. Then backup on plug (issue 14): the drive pulled while the
// headless service backs it up, and plugged in again, which finishes it with nobody typing.
// An export interrupted by a pull would freeze the guest's ZFS for good: this file runs last on its guest.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa, execaSync } from 'execa'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../../main/config/schema'
import { RunRecord } from '../../shared/run-record'
import { importOnOwnDisk, plug, replug, setWriteLimit, unplug, waitFor } from './guest/drives'
import { saveArtifact } from './guest/env'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, snapshotGuids, writeRandom, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const CLI = '/opt/proj/out/main/cli.js'
const tmp = mkdtempSync('/tmp/pulled-')

interface Line { type: string; [k: string]: unknown }

/**
 * The CLI as a user runs it (as root, --json), with `onLine` told each line as it is printed: the test
 * pulls the cable when the run reaches the moment it wants.
 */
async function cli(config: Config, name: string, onLine: (l: Line) => void = () => undefined) {
  const configPath = join(tmp, `${name}.json`)
  writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 })
  const started = Date.now()
  const child = execa(process.execPath, [CLI, 'backup', '--config', configPath, '--history', join(tmp, 'history.jsonl'), '--json'], { reject: false, buffer: { stdout: false } })
  const lines: Line[] = []
  const ended: { at: number | null } = { at: null }
  let buf = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const l = JSON.parse(buf.slice(0, nl)) as Line
      buf = buf.slice(nl + 1)
      lines.push(l)
      onLine(l)
    }
  })
  const r = await child
  ended.at = Date.now()
  saveArtifact(`pulled/${name}.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n'))
  return {
    exitCode: r.exitCode,
    lines,
    seconds: (ended.at - started) / 1000,
    error: lines.find((l) => l.type === 'error') as { code: string; message: string; hint?: string } | undefined,
    infos: lines.flatMap((l) => (l.type === 'info' ? [l.message as string] : [])),
    commands: lines.flatMap((l) => (l.type === 'command' ? [l.argv as string[]] : [])),
    step: (id: string) => lines.find((l) => l.type === 'step-finished' && l.step === id) as { outcome: string; note?: string } | undefined,
  }
}

/** No zfs command waits on the vanished drive: the laptop's pool lists and snapshots right away. */
async function laptopWorks(src: SourcePool): Promise<void> {
  const t0 = Date.now()
  expect((await sh(['zfs', 'list', '-H', '-o', 'name', src.dataset], { timeoutMs: 20_000, ok: false })).exitCode).toBe(0)
  expect((await sh(['zfs', 'snapshot', `${src.dataset}@after-pull-${Date.now()}`], { timeoutMs: 20_000, ok: false })).exitCode).toBe(0)
  expect((await sh(['zpool', 'list', '-H', '-o', 'name,health'], { timeoutMs: 20_000, ok: false })).exitCode).toBe(0)
  expect(Date.now() - t0).toBeLessThan(20_000)
}

/** The run's processes: none may outlive it. */
async function transferProcesses(): Promise<string> {
  return (await sh(['pgrep', '-a', '-f', 'zfs (send|receive)|syncoid'], { ok: false })).stdout.trim()
}

/**
 * A write the kernel had started when the cable went waits for the drive (no signal ends it): the run may
 * leave its `zfs receive` behind, but only one it named, with its pid.
 */
function expectOnlyNamedLeft(message: string, left: string, pool: string): void {
  for (const line of left.split('\n').filter((l) => l.includes(` ${pool}/`))) {
    const pid = line.split(' ')[0]!
    expect(message, `left running: ${line}`).toContain(`(pid ${pid})`)
  }
}

/** What ZFS says of the pulled drive's pool (kept as a fixture for the parsers' unit tests). */
async function capture(pool: string, name: string): Promise<void> {
  await sh(['zpool', 'status', '-jp', pool], { ok: false, timeoutMs: 20_000, fixture: `zpool-status-json-${name}.txt` })
  await sh(['zpool', 'list', '-Hp', '-o', 'name,guid,health', pool], { ok: false, timeoutMs: 20_000, fixture: `zpool-list-${name}.txt` })
}

const sourceGuids = async (src: SourcePool): Promise<Map<string, string>> => {
  const all = await snapshotGuids(src.dataset)
  return new Map([...all].filter(([n]) => n.startsWith('autosnap_')))
}

let src: SourcePool
const afterBackup = { export: true, powerOff: false }

beforeAll(async () => {
  expect(existsSync(CLI), 'build first: npx electron-vite build').toBe(true)
  src = await makeSource('pclap', { sizeMb: 512 })
})

afterAll(async () => {
  if (frozen) return
  for (const p of await importedPools()) if (p.startsWith('pc') && p !== 'pclap' && !broken.has(p)) await sh(['zpool', 'export', '-f', p], { ok: false, timeoutMs: 30_000 })
})

/** Set once `zpool list` stops answering: the cases after it fail at once instead of each waiting out its timeout. */
let frozen: string | null = null

beforeEach(async () => {
  if (frozen) throw new Error(`the guest's ZFS stopped answering in an earlier case (${frozen}); see pulled/kernel-*.txt`)
  const r = await sh(['zpool', 'list', '-H', '-o', 'name'], { ok: false, timeoutMs: 30_000 })
  if (r.exitCode !== 0) {
    frozen = 'zpool list did not return within 30 s'
    await kernelPicture('frozen')
    throw new Error(frozen)
  }
})

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await kernelPicture(ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-'))
})

/** What the kernel is doing with the zfs commands, for a failed case: states, wait channels, stacks, dmesg. */
async function kernelPicture(name: string): Promise<void> {
  const ps = (await sh(['ps', '-eo', 'pid,stat,wchan:32,etime,args'], { ok: false, timeoutMs: 10_000 })).stdout
  const zfsLines = ps.split('\n').filter((l) => /zfs|zpool|txg|PID/.test(l))
  const stacks: string[] = []
  for (const l of zfsLines.slice(1)) {
    const pid = l.trim().split(/\s+/)[0]!
    try {
      stacks.push(`-- ${l}\n${readFileSync(`/proc/${pid}/stack`, 'utf8')}`)
    } catch {
      // gone
    }
  }
  const dmesg = (await sh(['dmesg', '-T'], { ok: false, timeoutMs: 10_000 })).stdout.split('\n').slice(-80).join('\n')
  const status = frozen ? '(skipped: zpool does not answer)' : (await sh(['zpool', 'status', '-p'], { ok: false, timeoutMs: 20_000 })).stdout
  saveArtifact(`pulled/kernel-${name}.txt`, [zfsLines.join('\n'), stacks.join('\n'), status, dmesg].join('\n\n==========\n\n'))
}

/** Pulls the cable once the transfer has moved real bytes; the drive writes 1 MiB/s so it is mid-stream. */
async function pullDuringTransfer(drive: BackupDrive, config: Config, name: string) {
  writeRandom(src, `${name}.bin`, 48)
  const newest = await snap(src)
  await setWriteLimit(drive.usb, 1024 * 1024)
  let pulled: Promise<void> | null = null
  let pulledAt = 0
  const r = await cli(config, name, (l) => {
    if (!pulled && l.type === 'progress' && l.step === 'replicate' && Number(l.bytes) > 4 * 1024 * 1024) {
      pulledAt = Date.now()
      pulled = unplug(drive.usb)
    }
  })
  await pulled
  const afterPullS = (Date.now() - pulledAt) / 1000
  saveArtifact(`pulled/${name}.seconds.txt`, `pull to the run's end: ${afterPullS.toFixed(1)} s\n`)
  return { r, newest, afterPullS }
}

/** Pools ZFS broke on in this boot (a panic after the clear): never exported, not even by afterAll. */
const broken = new Set<string>()

/**
 * The next run once the drive is back. ZFS either takes the pool back and the run finishes with the
 * laptop's guids, or (OpenZFS 2.3's own bug, seen in the VM under load) a kernel panic hits the writes the
 * clear retried: then the run says a reboot is needed, within seconds, and neither it nor any later run
 * issues a command that would wait on that pool for good; the laptop's pool keeps working.
 */
async function expectRecovered(drive: BackupDrive, config: Config, name: string, target: string): Promise<{ next: Awaited<ReturnType<typeof cli>>; broke: boolean }> {
  await plug(drive.usb, { throttleable: true })
  await setWriteLimit(drive.usb, 0)
  const next = await cli(config, `${name}-replugged`)
  expect(next.infos.some((m) => /since its drive was disconnected; the drive is back/.test(m)), next.infos.join('\n')).toBe(true)
  expect(next.commands).toContainEqual(['zpool', 'clear', drive.pool])
  if (next.error?.code === 'drive-needs-reboot') {
    broken.add(drive.pool)
    saveArtifact(`pulled/${name}-broke.txt`, `${next.error.message}\n${next.error.hint ?? ''}\nrun took ${next.seconds.toFixed(1)} s\n`)
    expect(next.error.message).toMatch(/ZFS hit an internal error while it retried the writes the pulled cable had interrupted \(.*PANIC at \S+\)/)
    expect(next.commands.some((a) => a[1] === 'export')).toBe(false)
    await laptopWorks(src)
    const again = await cli(config, `${name}-after-panic`)
    expect(again.error?.code).toBe('drive-needs-reboot')
    expect(again.error?.message).toContain('earlier in this boot')
    expect(again.commands.filter((a) => ['clear', 'reopen', 'export', 'import', 'receive', 'destroy'].includes(a[1]!))).toEqual([])
    return { next, broke: true }
  }
  expect(next.exitCode, JSON.stringify(next.error)).toBe(0)
  // What the pulled run left waiting in the kernel ended once the pool resumed.
  expect((await transferProcesses()).split('\n').filter((l) => l.includes(` ${drive.pool}/`))).toEqual([])
  const mine = await sourceGuids(src)
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  try {
    const copy = await snapshotGuids(target)
    for (const [snapName, guid] of mine) expect(copy.get(snapName), snapName).toBe(guid)
  } finally {
    await sh(['zpool', 'export', drive.pool])
  }
  return { next, broke: false }
}

describe('a cable pulled during the transfer', () => {
  it('on a drive made by setup (failmode=continue): the run says so within 30 s, nothing hangs, and the replugged drive finishes where it stopped', async () => {
    const drive = await makeBackupDrive('pcset', 'pcset', { throttleable: true })
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    await sh(['zpool', 'set', 'failmode=continue', drive.pool])
    await sh(['zpool', 'export', drive.pool])
    const target = 'pcset/home'
    const config = configFor(src, [{ name: 'Setup', drive, target }], { afterBackup })
    writeRandom(src, 'base.bin', 4)
    await snap(src)
    expect((await cli(config, 'setup-first')).exitCode).toBe(0)
    const before = await sourceGuids(src)

    const { r, afterPullS } = await pullDuringTransfer(drive, config, 'setup-pull')
    expect(r.error?.code, JSON.stringify(r.lines.slice(-8))).toBe('drive-disconnected')
    expect(r.error?.message).toMatch(/^Drive "Setup" was disconnected during the backup\.( zfs receive \(pid \d+\) is still waiting for it in the kernel, and ends once it is back\.)?$/)
    expect(r.exitCode).toBe(1)
    expect(afterPullS).toBeLessThan(30)
    expect(r.step('replicate')?.outcome).toBe('failed')
    // Never an export of a pool whose disk is gone: it would freeze every zfs command here.
    expect(r.step('export')?.note).toMatch(/disconnected/)
    expect(r.commands.some((a) => a[1] === 'export')).toBe(false)
    await capture(drive.pool, 'pulled-continue')
    await laptopWorks(src)
    expectOnlyNamedLeft(r.error!.message, await transferProcesses(), drive.pool)
    // The source was only read (the new snapshot and the test's own are all it gained).
    for (const [n, g] of before) expect((await sourceGuids(src)).get(n)).toBe(g)

    const { next, broke } = await expectRecovered(drive, config, 'setup', target)
    // Either the receive the pull interrupted woke on `zpool clear` and completed its snapshot, or it left
    // a token and this run resumed from it: never a discarded partial copy.
    const resumed = next.commands.some((a) => a.includes('send') && a.includes('-t'))
    saveArtifact('pulled/setup-resumed.txt', `${broke ? 'ZFS broke on the clear' : resumed ? 'resumed from the token' : 'the woken receive had completed the snapshot'}\n`)
    if (!broke) expect(next.lines.filter((l) => l.type === 'warning' && l.code !== 'zfs-raw-send-bug')).toEqual([])
    // A broken pool's drive stays in: a removal would have ZFS change the vdev's state, which waits on writes that never finish.
    if (!broke) await unplug(drive.usb)
  })

  it('on a drive made with the guide\'s commands (failmode=wait): imported with failmode=continue, told once, and the same recovery', async () => {
    const drive = await makeBackupDrive('pcguide', 'pcguide', { throttleable: true })
    const target = 'pcguide/home'
    const config = configFor(src, [{ name: 'Guide', drive, target }], { afterBackup })
    const first = await cli(config, 'guide-first')
    expect(first.exitCode).toBe(0)
    expect(importOnOwnDisk(first.commands, drive.usb.byId, drive.guid)).toEqual(['-N', '-o', 'failmode=continue'])
    const told = /is imported with failmode=continue from now on/
    expect(first.infos.filter((m) => told.test(m))).toHaveLength(1)

    const { r, afterPullS } = await pullDuringTransfer(drive, config, 'guide-pull')
    expect(r.infos.some((m) => told.test(m)), 'told once only').toBe(false)
    expect(r.error?.code, JSON.stringify(r.lines.slice(-8))).toBe('drive-disconnected')
    expect(afterPullS).toBeLessThan(30)
    await capture(drive.pool, 'pulled-guide')
    await laptopWorks(src)
    expectOnlyNamedLeft(r.error!.message, await transferProcesses(), drive.pool)
    const { broke } = await expectRecovered(drive, config, 'guide', target)
    if (!broke) await unplug(drive.usb)
  })
})

describe('a cable pulled after the transfer', () => {
  let drive: BackupDrive
  let config: Config
  const target = 'pclate/home'

  beforeAll(async () => {
    drive = await makeBackupDrive('pclate', 'pclate', { throttleable: true })
    config = configFor(src, [{ name: 'Late', drive, target }], { afterBackup: { export: true, powerOff: true } })
    expect((await cli(config, 'late-first')).exitCode).toBe(0)
    await replug(drive.usb)
  })

  it('during pruning: the run ends within 30 s with the drive named, the laptop\'s pool keeps working, and the replugged drive finishes the prune', async () => {
    // 30 snapshots on the drive that the laptop has since pruned: one batched destroy on a slow drive.
    const gone: string[] = []
    for (let i = 0; i < 30; i++) {
      writeRandom(src, `p${i}.bin`, 1)
      gone.push(await snap(src))
    }
    expect((await cli(config, 'late-many')).exitCode).toBe(0)
    await replug(drive.usb)
    // The drive's newest stays on the laptop; the 29 before it are pruned there, so on the drive too.
    const kept = gone.pop()!
    for (const g of gone) await sh(['zfs', 'destroy', `${src.dataset}@${g}`])
    expect(kept).toBeTruthy()
    await snap(src)
    await setWriteLimit(drive.usb, 128 * 1024)
    let pulled: Promise<void> | null = null
    let pulledAt = 0
    const r = await cli(config, 'late-prune', (l) => {
      if (!pulled && l.type === 'command' && (l.argv as string[]).includes('destroy')) {
        pulledAt = Date.now()
        pulled = unplug(drive.usb)
      }
    })
    await pulled
    expect(pulled, 'the prune ran').not.toBeNull()
    expect(r.error?.code, JSON.stringify(r.lines.slice(-8))).toMatch(/^drive-(disconnected|not-responding)$/)
    expect((Date.now() - pulledAt) / 1000).toBeLessThan(30)
    expect(r.commands.some((a) => a[1] === 'export')).toBe(false)
    await capture(drive.pool, 'pulled-prune')
    await laptopWorks(src)

    await plug(drive.usb, { throttleable: true })
    await setWriteLimit(drive.usb, 0)
    const next = await cli(config, 'late-prune-replugged')
    if (next.error?.code === 'drive-needs-reboot' && /PANIC at/.test(next.error.message)) {
      // OpenZFS's bug met on the clear (see expectRecovered): said, and nothing waits on the pool.
      broken.add(drive.pool)
      saveArtifact('pulled/late-prune-broke.txt', `${next.error.message}\n`)
      expect(next.commands.some((a) => a[1] === 'export')).toBe(false)
      await laptopWorks(src)
      return
    }
    expect(next.exitCode, JSON.stringify(next.error)).toBe(0)
    await waitFor('the drive to power off', () => !existsSync(drive.usb.byId), 60_000)
    await replug(drive.usb)
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
    try {
      const copy = await snapshotGuids(target)
      for (const g of gone) expect(copy.has(g), g).toBe(false)
      for (const [n, guid] of await sourceGuids(src)) expect(copy.get(n), n).toBe(guid)
    } finally {
      await sh(['zpool', 'export', drive.pool])
    }
  })

  it('during power-off: the pool was exported, so the run says the drive is safe, within 30 s', async (ctx) => {
    if (broken.has(drive.pool)) ctx.skip('ZFS broke on this drive\'s pool in the case before (a kernel panic after the clear): only a reboot frees it')
    writeRandom(src, 'off.bin', 1)
    await snap(src)
    let pulled: Promise<void> | null = null
    const r = await cli(config, 'late-power-off', (l) => {
      if (!pulled && l.type === 'step-started' && l.step === 'power-off') pulled = unplug(drive.usb)
    })
    await pulled
    expect(r.exitCode, JSON.stringify(r.error)).toBe(0)
    expect(r.step('export')?.outcome).toBe('ok')
    expect(r.seconds).toBeLessThan(300)
    await laptopWorks(src)
    expect(await importedPools()).not.toContain(drive.pool)
  })
})

describe('backup on plug, pulled mid-run (issue 14)', () => {
  const dir = '/root/pulled-auto'
  const configPath = `${dir}/config.json`
  const historyPath = `${dir}/history.jsonl`
  const history = (): RunRecord[] => (existsSync(historyPath) ? readFileSync(historyPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => RunRecord.parse(JSON.parse(l))) : [])
  let drive: BackupDrive
  let unit = ''

  afterAll(async () => {
    if (existsSync(configPath)) await sh([process.execPath, CLI, 'auto', 'disable', '--drive', 'Auto', '--config', configPath, '--history', historyPath], { ok: false })
  })

  it('the headless run fails as a pulled cable does, and plugging the drive back in finishes it with nobody typing', async () => {
    drive = await makeBackupDrive('pcauto', 'pcauto', { throttleable: true })
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(configPath, JSON.stringify(configFor(src, [{ name: 'Auto', drive, target: 'pcauto/home' }])), { mode: 0o600 })
    const on = await sh([process.execPath, CLI, 'auto', 'enable', '--drive', 'Auto', '--config', configPath, '--history', historyPath], { ok: false })
    expect(on.exitCode, on.stdout + on.stderr).toBe(0)
    unit = `zfs-drive-backup-auto@0-${drive.guid}.service`
    await unplug(drive.usb)
    writeRandom(src, 'auto.bin', 48)
    await snap(src)

    await plug(drive.usb, { throttleable: true })
    await setWriteLimit(drive.usb, 1024 * 1024)
    // The service is mid-transfer once its receive has been running for a few seconds.
    await waitFor('the headless receive', () => /zfs receive -s -u pcauto\//.test(execaSyncPgrep()), 300_000)
    await new Promise((r) => setTimeout(r, 5000))
    const pulledAt = Date.now()
    await unplug(drive.usb)
    await waitFor('the failed run in the history', () => history().length > 0, 60_000)
    saveArtifact('pulled/auto.seconds.txt', `pull to the failed run in the history: ${((Date.now() - pulledAt) / 1000).toFixed(1)} s\n`)
    expect((Date.now() - pulledAt) / 1000).toBeLessThan(30)
    const journal = (await sh(['journalctl', '--no-pager', '-o', 'cat', '-u', unit])).stdout
    saveArtifact('pulled/auto-journal-1.txt', journal)
    expect(history()[0], journal).toMatchObject({ verb: 'backup', outcome: 'failed', headless: true, error: { code: 'drive-disconnected' } })
    await waitFor(`${unit} to stop`, () => !/ActiveState=active/.test(execaSyncShow(unit)), 30_000)
    await laptopWorks(src)

    await plug(drive.usb, { throttleable: true })
    await setWriteLimit(drive.usb, 0)
    await waitFor('the replugged run in the history', () => history().length > 1, 480_000)
    const second = history()[1]!
    saveArtifact('pulled/auto-journal-2.txt', (await sh(['journalctl', '--no-pager', '-o', 'cat', '-u', unit])).stdout)
    if (second.outcome === 'failed' && second.error?.code === 'drive-needs-reboot') {
      // OpenZFS's bug met on the clear (see expectRecovered): said in the history, nothing exported.
      broken.add(drive.pool)
      expect(second.error.message).toMatch(/PANIC at \S+\)/)
      await laptopWorks(src)
      return
    }
    expect(second).toMatchObject({ verb: 'backup', outcome: 'succeeded', headless: true })
    await waitFor('the drive to power off', () => !existsSync(drive.usb.byId), 60_000)
    expect(await importedPools()).not.toContain(drive.pool)
  })
})

function execaSyncPgrep(): string {
  return execaSync('pgrep', ['-a', '-f', 'zfs receive'], { reject: false }).stdout
}

function execaSyncShow(unit: string): string {
  return execaSync('systemctl', ['show', '-p', 'ActiveState', unit], { reject: false }).stdout
}
