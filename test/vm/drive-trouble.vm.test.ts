// What a drive does to a backup when it is too small, or when the laptop moved on, through the CLI as a
// user meets it, against real OpenZFS: a full 128 MB drive says what the transfer needed and what is free,
// gets its partial receive discarded, is offered (never silently) the retention's removals before
// sending, and then succeeds, as does a bigger drive; snapshots this app sent and the laptop destroyed
// since are named, offered for discarding and, typed again, discarded, while a snapshot made on the drive
// keeps the refusal; a run cancelled, hung up or killed mid-send (the CLI, the helper) leaves no process
// behind, and the next run resumes the transfer.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../main/config/schema'
import { backup } from '../../main/engine/backup'
import { ProcessRunner } from '../../main/system/runner'
import type { RunEvent } from '../../shared/events'
import { RunRecord } from '../../shared/run-record'
import { setWriteLimit, unplug } from './guest/drives'
import { saveArtifact } from './guest/env'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, snapshotGuids, writeRandom, zfsGet, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const tmp = mkdtempSync('/tmp/trouble-')
const historyPath = join(tmp, 'history.jsonl')

interface Line { type: string; [k: string]: unknown }

/** The CLI as a user runs it (as root), with --json: its exit code and every line it printed. */
async function cli(config: Config, args: string[] = [], name = 'run') {
  const configPath = join(tmp, 'config.json')
  writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 })
  const r = await execa('node', ['out/main/cli.js', 'backup', '--config', configPath, '--history', historyPath, '--json', ...args], { reject: false })
  saveArtifact(`trouble/${name}.jsonl`, r.stdout)
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line)
  return {
    exitCode: r.exitCode,
    lines,
    error: lines.find((l) => l.type === 'error') as { code: string; message: string; hint?: string } | undefined,
    warnings: lines.filter((l) => l.type === 'warning') as unknown as { code: string; message: string }[],
    infos: lines.flatMap((l) => (l.type === 'info' ? [l.message as string] : [])),
    commands: lines.flatMap((l) => (l.type === 'command' ? [l.argv as string[]] : [])),
  }
}

/** The engine in this process, as the CLI runs it but without its start-up: for runs that only set the scene or recover. */
async function engine(cfg: Config, signal = new AbortController().signal) {
  const events: RunEvent[] = []
  const outcome = await backup({ config: cfg, runner: new ProcessRunner(), signal, emit: (e) => void events.push(e) })
  return {
    outcome, events,
    error: events.find((e) => e.type === 'error'),
    infos: events.flatMap((e) => (e.type === 'info' ? [e.message] : [])),
    sends: events.flatMap((e) => (e.type === 'command' ? [e.argv.slice(e.argv.indexOf('zfs'))] : [])).filter((a) => a[0] === 'zfs' && a[1] === 'send' && !a.includes('-n')),
  }
}

const lastRecord = (): RunRecord => RunRecord.parse(JSON.parse(readFileSync(historyPath, 'utf8').trim().split('\n').at(-1)!))
const onDrive = async (d: BackupDrive, ds: string): Promise<Map<string, string>> => {
  await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', d.guid])
  try {
    return await snapshotGuids(ds)
  } finally {
    await sh(['zpool', 'export', d.pool])
  }
}

let src: SourcePool
let small: BackupDrive
let config: Config
const target = 'dtbk/home'
const afterBackup = { export: true, powerOff: false }

beforeAll(async () => {
  src = await makeSource('dtlap', { sizeMb: 384 })
  small = await makeBackupDrive('dtsmall', 'dtbk', { sizeMb: 128 })
  config = configFor(src, [{ name: 'Small', drive: small, target }], { afterBackup })
})

afterAll(async () => {
  for (const p of await importedPools()) if (p.startsWith('dt') && p !== 'dtlap') await sh(['zpool', 'export', '-f', p], { ok: false })
  await unplug(small.usb).catch(() => undefined)
})

describe('a drive too small for the backup', () => {
  let a0 = ''
  let b = ''

  it('says what the transfer needed and what the drive has free, discards the partial receive, and keeps zfs\'s words for the record only', async () => {
    // The drive holds a0 (24 MiB of its own) and a1; the laptop pruned a0 and then took 40 MiB more.
    writeRandom(src, 'a0.bin', 24)
    a0 = await snap(src)
    expect((await engine(config)).outcome).toBe('succeeded')
    await sh(['rm', `${src.mountpoint}/a0.bin`])
    writeRandom(src, 'a1.bin', 1)
    await snap(src)
    expect((await engine(config)).outcome).toBe('succeeded')
    await sh(['zfs', 'destroy', `${src.dataset}@${a0}`])
    writeRandom(src, 'b.bin', 40)
    b = await snap(src)

    const full = await cli(config, [], 'enospc')
    expect(full.exitCode).toBe(1)
    expect(full.error?.code).toBe('drive-full')
    expect(full.error?.message).toMatch(new RegExp(`^The drive is full: @${b} needs about 4\\d\\.\\d MiB, and the drive has \\d+\\.\\d MiB free\\. The partial copy was discarded \\(zfs receive -A ${target}\\), so its space is free again\\.$`))
    // Offered, not done: the snapshot the drive's retention (mirror) removes anyway, and the flag that removes it first.
    expect(full.error?.hint).toMatch(new RegExp(`removes one snapshot at this backup anyway, after the transfer \\(${target}@${a0}\\): back up with --prune-first`))
    expect(full.error?.hint).not.toMatch(/resumes on the next run/)
    expect(full.commands).toContainEqual(['zfs', 'receive', '-A', target])
    expect(full.commands.some((a) => a[1] === 'destroy')).toBe(false)
    // The tools' own output is in the history's record of the failed step; the headline is the sentence.
    const rec = lastRecord()
    expect(rec.error?.message).not.toMatch(/cannot receive|Broken pipe/)
    const outputs = rec.steps.find((s) => s.id === 'replicate')?.outputs ?? []
    expect(outputs.flatMap((o) => o.output)).toContain('cannot receive incremental stream: out of space')
    // The space came back: no partial state is left on the drive, and it still ends at what it had.
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', small.guid])
    try {
      expect(await zfsGet(target, 'receive_resume_token')).toBe('-')
      expect(Number((await sh(['zfs', 'get', '-Hp', '-o', 'value', 'available', 'dtbk'])).stdout)).toBeGreaterThan(20 * 1024 * 1024)
      expect([...(await snapshotGuids(target)).keys()]).not.toContain(b)
    } finally {
      await sh(['zpool', 'export', small.pool])
    }
  })

  it('a dry run says in advance that it would not fit, and what --prune-first would remove first', async () => {
    const dry = await cli(config, ['--dry-run'], 'dry-run')
    expect(dry.exitCode).toBe(0)
    expect(dry.warnings).toContainEqual(expect.objectContaining({ code: 'drive-too-full', message: expect.stringMatching(/would not fit.*--prune-first/) }))
    const first = await cli(config, ['--dry-run', '--prune-first'], 'dry-run-prune-first')
    expect(first.exitCode).toBe(0)
    expect(first.infos).toContainEqual(expect.stringMatching(new RegExp(`${target} \\(mirror the laptop\\): would remove @${a0}`)))
    expect((await onDrive(small, target)).has(a0)).toBe(true)
  })

  it('succeeds on a bigger drive, and on this one with --prune-first', async () => {
    const big = await makeBackupDrive('dtbig', 'dtbig', { sizeMb: 256 })
    try {
      const both = configFor(src, [{ name: 'Small', drive: small, target }, { name: 'Big', drive: big, target: 'dtbig/home' }], { afterBackup })
      expect((await cli(both, ['--drive', 'Big'], 'bigger-drive')).exitCode).toBe(0)
      expect((await onDrive(big, 'dtbig/home')).get(b)).toBe((await snapshotGuids(src.dataset)).get(b))
    } finally {
      await unplug(big.usb)
    }
    const r = await cli(config, ['--prune-first'], 'prune-first')
    expect(r.error).toBeUndefined()
    expect(r.exitCode).toBe(0)
    const destroy = r.commands.findIndex((a) => a[1] === 'destroy')
    const send = r.commands.findIndex((a) => a.includes('send') && !a.includes('-n'))
    expect(destroy).toBeGreaterThanOrEqual(0)
    expect(destroy).toBeLessThan(send)
    const held = await onDrive(small, target)
    expect(held.get(b)).toBe((await snapshotGuids(src.dataset)).get(b))
    expect(held.has(a0)).toBe(false)
  })
})

describe('the laptop moved on', () => {
  it('names the snapshot this app sent that the laptop destroyed, and shows the discard in a dry run when the name is typed again, and refuses other names', async () => {
    const newest = [...(await snapshotGuids(src.dataset)).keys()].at(-1)!
    await sh(['zfs', 'destroy', `${src.dataset}@${newest}`])
    writeRandom(src, 'c.bin', 1)
    await snap(src)

    const refused = await cli(config, [], 'moved-on')
    expect(refused.exitCode).toBe(1)
    expect(refused.error?.code).toBe('laptop-moved-on')
    expect(refused.error?.message).toMatch(new RegExp(`^The laptop has destroyed @${newest} of ${src.dataset} since this app sent it to the drive`))
    expect(refused.error?.message).not.toMatch(/snapshotted on the drive/)
    expect(refused.error?.hint).toContain(`--discard-from-drive ${newest}`)

    const dry = await cli(config, ['--dry-run', '--discard-from-drive', newest], 'moved-on-dry-run')
    expect(dry.exitCode).toBe(0)
    expect(dry.infos).toContainEqual(expect.stringMatching(new RegExp(`${target}: would discard @${newest}`)))
    expect((await onDrive(small, target)).has(newest)).toBe(true)

    const wrong = await cli(config, ['--discard-from-drive', 'something-else'], 'moved-on-wrong-name')
    expect(wrong.error?.code).toBe('discard-mismatch')
    expect((await onDrive(small, target)).has(newest)).toBe(true)

    // The names typed again: the drive goes back to the newest shared snapshot, then gets the laptop's newer ones.
    const discarded = await cli(config, ['--discard-from-drive', newest], 'moved-on-discarded')
    expect(discarded.error).toBeUndefined()
    expect(discarded.exitCode).toBe(0)
    expect(discarded.infos).toContainEqual(expect.stringMatching(new RegExp(`${target}: discarding @${newest}`)))
    const held = await onDrive(small, target)
    expect(held.has(newest)).toBe(false)
    const laptop = await snapshotGuids(src.dataset)
    expect([...held]).toEqual([...laptop].filter(([name]) => held.has(name)))
    expect(held.get([...laptop.keys()].at(-1)!)).toBe([...laptop.values()].at(-1))
  })

  it('a snapshot made on the drive itself keeps today\'s refusal', async () => {
    await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', small.guid])
    await sh(['zfs', 'snapshot', `${target}@made-on-the-drive`])
    await sh(['zpool', 'export', small.pool])
    writeRandom(src, 'd.bin', 1)
    await snap(src)
    const r = await cli(config, [], 'drive-made')
    expect(r.exitCode).toBe(1)
    expect(r.error?.code).toBe('target-diverged')
    expect(r.error?.hint).toMatch(/snapshotted on the drive itself/)
  })
})

describe('a killed run', () => {
  // A drive slowed down to 512 KiB/s (with ZFS's dirty data capped to match) while a run is interrupted,
  // so its transfer lasts well over a minute and is still going when the signal lands (at 2 MiB/s a cancel
  // on a loaded machine once landed after the stream was through); every kill waits for what a user could
  // see on the machine (the run's zfs receive running, the drive holding its partial receive), never a time.
  const SLOW = 512 * 1024
  const MB = 24
  let slow: BackupDrive
  let slowConfig: Config
  const slowTarget = 'dtslow/home'

  const engineRun = (signal?: AbortSignal) => engine(slowConfig, signal)

  beforeAll(async () => {
    slow = await makeBackupDrive('dtslow', 'dtslow', { sizeMb: 512, throttleable: true })
    slowConfig = configFor(src, [{ name: 'Slow', drive: slow, target: slowTarget }], { afterBackup })
    writeFileSync(join(tmp, 'slow.json'), JSON.stringify(slowConfig), { mode: 0o600 })
    writeFileSync(join(tmp, 'slow-syncoid.json'), JSON.stringify({ ...slowConfig, replication: { ...slowConfig.replication, engine: 'syncoid' } }), { mode: 0o600 })
    expect((await engineRun()).outcome).toBe('succeeded') // the first copy, at full speed
  })

  afterAll(async () => {
    await setWriteLimit(slow.usb, 0).catch(() => undefined)
    await unplug(slow.usb).catch(() => undefined)
  })

  /** The run's zfs receive is running and the drive holds its partial receive: returns the resume token. */
  async function midSend(running: () => boolean): Promise<string> {
    const deadline = Date.now() + 180_000
    while (Date.now() < deadline && running()) {
      if ((await sh(['pgrep', '-f', '^zfs receive'], { ok: false })).exitCode === 0) {
        const token = (await sh(['zfs', 'get', '-H', '-o', 'value', 'receive_resume_token', slowTarget], { ok: false })).stdout.trim()
        if (token.startsWith('1-')) return token
      }
      await new Promise((ok) => setTimeout(ok, 250))
    }
    throw new Error('the transfer never got under way on the slow drive')
  }

  /** Starts one of the app's processes (argv after `node`) on a backup and sends it `signal` mid-send. */
  async function interrupt(name: string, argv: string[], signal: NodeJS.Signals, stdinLine?: string) {
    writeRandom(src, `${name}.bin`, MB)
    const newest = await snap(src)
    await setWriteLimit(slow.usb, SLOW)
    try {
      const child = execa('node', argv, { reject: false, stdin: 'pipe', forceKillAfterDelay: false })
      if (stdinLine !== undefined) child.stdin!.write(`${stdinLine}\n`) // kept open: the helper's EOF is a cancel
      const token = await midSend(() => child.exitCode === null && child.signalCode === null)
      child.kill(signal)
      const r = await child
      saveArtifact(`trouble/${name}.jsonl`, String(r.stdout))
      return { newest, token, exitCode: r.exitCode, lines: String(r.stdout).split('\n').flatMap((l) => lineOf(l)) }
    } finally {
      await setWriteLimit(slow.usb, 0)
    }
  }

  /** One event line; a line a kill cut short is no event. */
  const lineOf = (l: string): Line[] => {
    try {
      return l ? [JSON.parse(l) as Line] : []
    } catch {
      return []
    }
  }

  /** No process of the dead run is left (no zfs send or receive, no setpriv, no helper), polled with a deadline. */
  async function nothingSurvives(): Promise<void> {
    const alive = async () => (await sh(['pgrep', '-a', '-f', '^(zfs (send|receive)|setpriv |unshare |pv |mbuffer |sh -c zfs send)|/syncoid |out/main/(cli|helper)\\.js'], { ok: false })).stdout.trim()
    const deadline = Date.now() + 60_000
    while ((await alive()) !== '' && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 250))
    expect(await alive()).toBe('')
  }

  /** The next run continues the interrupted transfer from the drive's token and completes it, same guids. */
  async function nextRunResumes(newest: string, name: string): Promise<void> {
    const again = await engineRun()
    saveArtifact(`trouble/${name}.json`, JSON.stringify(again.events, null, 1))
    expect(again.error).toBeUndefined()
    expect(again.outcome).toBe('succeeded')
    expect(again.infos).toContainEqual(expect.stringMatching(/continuing the interrupted transfer/))
    expect(again.sends[0]).toEqual(expect.arrayContaining(['-t']))
    const held = await onDrive(slow, slowTarget)
    expect(held.get(newest)).toBe((await snapshotGuids(src.dataset)).get(newest))
  }

  it('a cancel mid-send (the window\'s Cancel, Ctrl-C) stops the transfer and exports the pool, and the next run resumes from the drive\'s token', async () => {
    writeRandom(src, 'cancel.bin', MB)
    const newest = await snap(src)
    await setWriteLimit(slow.usb, SLOW)
    const controller = new AbortController()
    let first
    try {
      let ended = false
      const running = engineRun(controller.signal).finally(() => (ended = true))
      await midSend(() => !ended)
      controller.abort()
      first = await running
    } finally {
      await setWriteLimit(slow.usb, 0)
    }
    saveArtifact('trouble/cancelled.json', JSON.stringify(first.events, null, 1))
    expect(first.outcome).toBe('cancelled')
    await nothingSurvives()
    expect(await importedPools()).not.toContain(slow.pool)
    await nextRunResumes(newest, 'after-cancel')
  })

  const cliArgs = (): string[] => ['out/main/cli.js', 'backup', '--config', join(tmp, 'slow.json'), '--history', historyPath, '--json']

  it('SIGKILL of the CLI mid-send: no process of the run survives it, and the next run resumes', async () => {
    const r = await interrupt('cli-sigkill', cliArgs(), 'SIGKILL')
    expect(r.exitCode).toBeUndefined()
    await nothingSurvives()
    expect(await zfsGet(slowTarget, 'receive_resume_token')).toMatch(/^1-/)
    await nextRunResumes(r.newest, 'after-cli-sigkill')
  })

  it('SIGKILL of the CLI mid-send with engine "syncoid": syncoid and the shell pipeline it started die with it, and the next run resumes', async () => {
    const r = await interrupt('syncoid-sigkill', ['out/main/cli.js', 'backup', '--config', join(tmp, 'slow-syncoid.json'), '--history', historyPath, '--json'], 'SIGKILL')
    expect(r.lines.some((l) => l.type === 'command' && (l.argv as string[]).includes('syncoid'))).toBe(true)
    expect(r.exitCode).toBeUndefined()
    await nothingSurvives()
    await nextRunResumes(r.newest, 'after-syncoid-sigkill')
  })

  it('SIGHUP of the CLI (its terminal closed) cancels cleanly: exit 130, the pool exported, nothing left running, and the next run resumes', async () => {
    const r = await interrupt('cli-sighup', cliArgs(), 'SIGHUP')
    expect(r.exitCode).toBe(130)
    expect(r.lines.find((l) => l.type === 'run-finished')).toMatchObject({ outcome: 'cancelled' })
    await nothingSurvives()
    expect(await importedPools()).not.toContain(slow.pool)
    await nextRunResumes(r.newest, 'after-cli-sighup')
  })

  it('SIGKILL of the privileged helper mid-send: no process of the run survives it, and the next run resumes', async () => {
    const r = await interrupt('helper-sigkill', ['out/main/helper.js'], 'SIGKILL', JSON.stringify({ verb: 'backup', configPath: join(tmp, 'slow.json'), drive: 'Slow' }))
    expect(r.lines.some((l) => l.type === 'progress' || l.type === 'command')).toBe(true)
    expect(r.exitCode).toBeUndefined()
    await nothingSurvives()
    await nextRunResumes(r.newest, 'after-helper-sigkill')
  })
})
