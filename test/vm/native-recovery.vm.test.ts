// The native engine when things go wrong or get old, against real OpenZFS in the VM: an interrupted
// transfer continues where it stopped (after a cancel, and after the CLI is killed with SIGKILL), a token
// planted on the drive is refused, a drive that was away while sanoid pruned every snapshot it shares
// still gets an incremental (from its bookmark), a keep policy keeps what the laptop pruned, a run with
// nothing new lists nothing, and no planted lock file blocks a backup.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backup } from '../../main/engine/backup'
import type { RunEvent } from '../../shared/events'
import { RunEvent as RunEventSchema } from '../../shared/events'
import { ProcessRunner } from '../../main/system/runner'
import type { Config } from '../../main/config/schema'
import { setWriteLimit, unplug } from './guest/drives'
import { saveArtifact } from './guest/env'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, snapshotGuids, writeRandom, zfsGet, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const tmp = mkdtempSync('/tmp/recovery-')
const statePath = join(tmp, 'state', 'verified.json')

async function run(config: Config, opts: { signal?: AbortSignal; onEvent?: (e: RunEvent) => void; dryRun?: boolean; driveName?: string } = {}) {
  const events: RunEvent[] = []
  const outcome = await backup({
    config, runner: new ProcessRunner(), statePath, signal: opts.signal ?? new AbortController().signal, dryRun: opts.dryRun ?? false,
    ...(opts.driveName ? { driveName: opts.driveName } : {}),
    emit: (e) => {
      RunEventSchema.parse(e)
      events.push(e)
      opts.onEvent?.(e)
    },
  })
  const commands = events.flatMap((e) => (e.type === 'command' ? [e.argv] : []))
  return {
    outcome, events, commands,
    error: events.find((e) => e.type === 'error'),
    warnings: events.flatMap((e) => (e.type === 'warning' ? [e] : [])),
    infos: events.flatMap((e) => (e.type === 'info' ? [e.message] : [])),
    note: (step: string) => events.flatMap((e) => (e.type === 'step-finished' && e.step === step ? [e.note ?? ''] : []))[0],
  }
}

/** The transfer's own argv, whatever setpriv wraps it in. */
const sends = (commands: string[][]): string[][] => commands.map((a) => a.slice(a.indexOf('zfs'))).filter((a) => a[0] === 'zfs' && a[1] === 'send' && !a.includes('-n'))
const leftovers = async () => (await sh(['pgrep', '-a', '-f', '^zfs (send|receive)'], { ok: false })).stdout.trim()

/** A CLI verb as the user types it (as root), on this file's config; its output. */
async function cli(config: Config, args: string[]): Promise<string> {
  const configPath = join(tmp, 'cli-config.json')
  writeFileSync(configPath, JSON.stringify(config))
  const r = await execa('node', ['out/main/cli.js', ...args, '--config', configPath, '--history', join(tmp, 'cli-history.jsonl')], { reject: false })
  // status and doctor exit non-zero for what they report (never backed up, a check that fails here).
  if (r.exitCode !== 0 && !['status', 'doctor'].includes(args[0]!)) throw new Error(`${args.join(' ')} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

async function withPool<T>(drive: BackupDrive, f: () => Promise<T>): Promise<T> {
  if (!(await importedPools()).includes(drive.pool)) await sh(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', drive.guid])
  try {
    return await f()
  } finally {
    await sh(['zpool', 'export', drive.pool])
  }
}

/** Runs f with the drive slow (4 MiB/s, and ZFS's write buffer 16 MiB), then puts both back. */
async function slowDrive<T>(f: () => Promise<T>): Promise<T> {
  await setWriteLimit(drive.usb, 4 * 1024 * 1024)
  try {
    return await f()
  } finally {
    await setWriteLimit(drive.usb, 0)
  }
}

let src: SourcePool
let drive: BackupDrive
let config: Config
const target = 'nrbk/laptop'

beforeAll(async () => {
  src = await makeSource('nrlap', { sizeMb: 768 })
  writeRandom(src, 'base.bin', 8)
  await snap(src)
  drive = await makeBackupDrive('nr1', 'nrbk', { throttleable: true })
  config = configFor(src, [{ name: 'N1', drive, target }], { afterBackup: { export: true, powerOff: false } })
})

afterAll(async () => {
  for (const p of await importedPools()) if (p !== 'nrlap') await sh(['zpool', 'export', '-f', p], { ok: false })
  await unplug(drive.usb).catch(() => undefined)
})

describe('an interrupted transfer', () => {
  // The cancel must land while the stream is still moving: the drive writes at 4 MiB/s (a QEMU throttle)
  // and ZFS may hold only 16 MiB of it in memory, so 128 MB take half a minute, not the second they take
  // into the ARC otherwise.
  it('continues after a cancel: the next run decodes the drive\'s token, resumes with zfs send -t, then sends the rest', async () => {
    expect((await run(config)).outcome).toBe('succeeded') // the first copy
    writeRandom(src, 'big.bin', 128)
    await snap(src)
    writeRandom(src, 'after.bin', 2)
    const newest = await snap(src)
    const controller = new AbortController()
    const first = await slowDrive(() => run(config, { signal: controller.signal, onEvent: (e) => e.type === 'progress' && e.bytes > 4 * 1024 * 1024 && controller.abort() }))
    saveArtifact('recovery/cancelled.json', JSON.stringify(first.events, null, 1))
    expect(first.outcome).toBe('cancelled')
    expect(await leftovers()).toBe('')
    const token = await withPool(drive, () => zfsGet(target, 'receive_resume_token'))
    expect(token).toMatch(/^1-/)

    const again = await run(config)
    saveArtifact('recovery/resume-after-cancel.json', JSON.stringify(again.events, null, 1))
    expect(again.error).toBeUndefined()
    expect(again.outcome).toBe('succeeded')
    expect(again.commands).toContainEqual(['zfs', 'send', '-n', '-v', '-P', '-t', token])
    expect(sends(again.commands)[0]).toEqual(['zfs', 'send', '-w', '-v', '-P', '-t', token])
    expect(again.infos.some((m) => /continuing the interrupted transfer/.test(m))).toBe(true)
    expect(again.warnings.filter((w) => w.code === 'resume-discarded')).toEqual([])
    await withPool(drive, async () => {
      expect([...(await snapshotGuids(target))]).toEqual([...(await snapshotGuids(src.dataset))])
      expect(await zfsGet(target, 'receive_resume_token')).toBe('-')
      expect((await snapshotGuids(target)).has(newest)).toBe(true)
    })
  })

  it('after the CLI was killed with SIGKILL no zfs child keeps running, its lock blocks nothing, and the next run completes', async () => {
    writeRandom(src, 'big2.bin', 128)
    const newest = await snap(src)
    const configPath = join(tmp, 'config.json')
    writeFileSync(configPath, JSON.stringify(config))
    const cli = execa('node', ['out/main/cli.js', 'backup', '--config', configPath, '--history', join(tmp, 'history.jsonl'), '--json'], { reject: false })
    let killed = false
    cli.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!killed && line.includes('"type":"progress"') && JSON.parse(line).bytes > 4 * 1024 * 1024) {
          killed = true
          cli.kill('SIGKILL')
        }
      }
    })
    await cli
    expect(killed).toBe(true)
    // setpriv --pdeathsig KILL: the send and the receive went with the CLI; nothing keeps writing.
    const deadline = Date.now() + 20_000
    while ((await leftovers()) !== '' && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 200))
    expect(await leftovers()).toBe('')

    const again = await run(config)
    saveArtifact('recovery/resume-after-sigkill.json', JSON.stringify(again.events, null, 1))
    expect(again.error).toBeUndefined()
    expect(again.outcome).toBe('succeeded')
    await withPool(drive, async () => {
      expect((await snapshotGuids(target)).get(newest)).toBe((await snapshotGuids(src.dataset)).get(newest))
    })
  })
})

describe('a token planted on the drive', () => {
  it('is refused when it continues another dataset, or this one decrypted, and the run says so', async () => {
    await sh(['zfs', 'create', '-o', 'encryption=aes-256-gcm', '-o', 'keyformat=passphrase', '-o', `keylocation=file:///root/nrlap.key`, '-o', 'mountpoint=/srv/nrother', 'nrlap/other'])
    writeRandom({ ...src, mountpoint: '/srv/nrother' }, 'other.bin', 8)
    await sh(['zfs', 'snapshot', 'nrlap/other@x'])
    const oldest = [...(await snapshotGuids(src.dataset)).keys()][0]!
    const cases = [
      { tgt: 'nrbk/forged1', send: ['zfs', 'send', '-w', 'nrlap/other@x'], reason: /continues a send of "nrlap\/other@x", not of nrlap\/home/ },
      // This very source, but sent decrypted: continuing it would put plaintext on the drive.
      { tgt: 'nrbk/forged2', send: ['zfs', 'send', `${src.dataset}@${oldest}`], reason: /continues a non-raw stream, which would put decrypted data on the drive/ },
    ]
    for (const c of cases) {
      await withPool(drive, async () => {
        await sh(['bash', '-c', `${c.send.join(' ')} | head -c 3000000 | zfs receive -s -u ${c.tgt}; true`])
        expect(await zfsGet(c.tgt, 'receive_resume_token')).toMatch(/^1-/)
      })
      const r = await run(configFor(src, [{ name: 'N1', drive, target: c.tgt }], { afterBackup: { export: true, powerOff: false } }))
      saveArtifact(`recovery/${c.tgt.split('/')[1]}.json`, JSON.stringify(r.events, null, 1))
      expect(r.error).toBeUndefined()
      expect(r.outcome).toBe('succeeded')
      expect(r.warnings).toContainEqual(expect.objectContaining({ code: 'resume-discarded', message: expect.stringMatching(c.reason) }))
      expect(r.commands).toContainEqual(['zfs', 'receive', '-A', c.tgt])
      expect(sends(r.commands).some((a) => a.includes('-t'))).toBe(false)
      await withPool(drive, async () => {
        expect(await zfsGet(c.tgt, 'encryption')).toBe('aes-256-gcm')
        expect(await zfsGet(c.tgt, 'keystatus')).toBe('unavailable')
        expect([...(await snapshotGuids(c.tgt))]).toEqual([...(await snapshotGuids(src.dataset))])
        await sh(['zfs', 'destroy', '-r', c.tgt])
      })
    }
  })
})

describe('the kept base', () => {
  it('after a verified run the laptop holds one bookmark for this drive, named from its pool GUID, on the newest snapshot', async () => {
    const marks = (await sh(['zfs', 'list', '-Hp', '-t', 'bookmark', '-o', 'name,guid', '-d', '1', src.dataset])).stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t'))
    const mine = marks.filter(([n]) => n!.includes(`#zfs-drive-backup-${drive.guid}-`))
    expect(mine).toHaveLength(1)
    expect(mine[0]![1]).toBe([...(await snapshotGuids(src.dataset)).values()].at(-1))
  })

  it('a drive away while sanoid pruned every snapshot it shares with the laptop still gets an incremental, from the bookmark', async () => {
    const before = [...(await snapshotGuids(src.dataset)).keys()]
    writeRandom(src, 'later1.bin', 3)
    const s1 = await snap(src)
    writeRandom(src, 'later2.bin', 3)
    const s2 = await snap(src)
    for (const s of before) await sh(['zfs', 'destroy', `${src.dataset}@${s}`])
    // What the user is told first: status (the drive read live) and doctor name the bookmark as the next
    // backup's base, and say a full send, with its size, only if that bookmark goes.
    const status = await withPool(drive, () => cli(config, ['status']))
    saveArtifact('recovery/status-from-bookmark.txt', status)
    expect(status).toMatch(new RegExp(`next backup: incremental from bookmark zfs-drive-backup-${drive.guid}-\\d+ \\(the laptop pruned the snapshot itself\\); a full send of about [\\d.]+ [KMG]iB only if that bookmark is removed`))
    const doctor = (await cli(config, ['doctor', '--json'])).trim().split('\n').map((l) => JSON.parse(l) as { id: string; ok: boolean; detail: string })
    expect(doctor.find((c) => c.id === `kept-base:N1:${src.dataset}`)).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^bookmark nrlap/home#zfs-drive-backup-${drive.guid}-\\d+: .* a full send \\(about [\\d.]+ [KMG]iB\\) only if it is removed$`)) })
    const r = await run(config)
    saveArtifact('recovery/from-bookmark.json', JSON.stringify(r.events, null, 1))
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    const [first, second] = sends(r.commands)
    expect(first).toEqual(['zfs', 'send', '-w', '-v', '-P', '-i', expect.stringMatching(new RegExp(`^nrlap/home#zfs-drive-backup-${drive.guid}-\\d+$`)), `${src.dataset}@${s1}`])
    expect(second).toEqual(['zfs', 'send', '-w', '-v', '-P', '-I', `${src.dataset}@${s1}`, `${src.dataset}@${s2}`])
    expect(r.note('plan')).toMatch(/incremental from bookmark zfs-drive-backup-/)
    await withPool(drive, async () => {
      const onDrive = await snapshotGuids(target)
      const laptop = await snapshotGuids(src.dataset)
      expect(onDrive.get(s1)).toBe(laptop.get(s1))
      expect(onDrive.get(s2)).toBe(laptop.get(s2))
      // Mirror pruned what the laptop dropped, but not the old bookmark's base (it moves after this run).
      expect([...onDrive.keys()]).toEqual([before.at(-1), s1, s2])
      expect(await zfsGet(target, 'keystatus')).toBe('unavailable')
    })
    const marks = (await sh(['zfs', 'list', '-Hp', '-t', 'bookmark', '-o', 'name,guid', '-d', '1', src.dataset])).stdout
    expect(marks.trim().split('\n').filter((l) => l.includes(drive.guid))).toEqual([expect.stringContaining((await snapshotGuids(src.dataset)).get(s2)!)])
  })
})

describe('a run with nothing new', () => {
  it('lists no snapshot once both sides are as the last verified run left them, and still verifies the copy', async () => {
    await run(config) // settles the record after the previous run moved the bookmark
    const r = await run(config)
    saveArtifact('recovery/noop.json', JSON.stringify(r.events, null, 1))
    expect(r.outcome).toBe('succeeded')
    expect(r.note('plan')).toMatch(/nothing changed since the last verified backup/)
    expect(r.commands.filter((a) => a[0] === 'zfs' && a[1] === 'list')).toEqual([])
    expect(r.events.some((e) => e.type === 'replicated')).toBe(true)
    writeRandom(src, 'fresh.bin', 1)
    const fresh = await snap(src)
    const next = await run(config)
    expect(next.outcome).toBe('succeeded')
    expect(next.note('plan')).toMatch(/incremental up to @/)
    await withPool(drive, async () => expect((await snapshotGuids(target)).has(fresh)).toBe(true))
  })
})

describe('a keep policy on the drive', () => {
  it('keeps history the laptop pruned, shows what it would prune in a dry run, then prunes only that', async () => {
    // Snapshot times are the kernel's: the guest clock moves on an hour between snapshots.
    const clock = async (hours: number) => void (await sh(['date', '-s', `${hours >= 0 ? '+' : ''}${hours} hour`]))
    const keep: Config = { ...config, drives: [{ ...config.drives[0]!, retention: { hourly: 3 } }] }
    const taken: string[] = []
    let moved = 0
    try {
      for (let i = 0; i < 3; i++) {
        await clock(1)
        moved++
        writeRandom(src, `hour${i}.bin`, 1)
        taken.push(await snap(src))
        expect((await run(keep)).outcome).toBe('succeeded')
      }
      // The laptop keeps only the newest; the drive keeps its 3 hours.
      for (const s of taken.slice(0, -1)) await sh(['zfs', 'destroy', `${src.dataset}@${s}`])
      expect((await run(keep)).outcome).toBe('succeeded')
      await withPool(drive, async () => expect([...(await snapshotGuids(target)).keys()].slice(-3)).toEqual(taken))
      // `snapshots` shows the hours the drive keeps that the laptop pruned.
      const kept = await cli(keep, ['snapshots'])
      for (const t of taken.slice(0, -1)) expect(kept).toMatch(new RegExp(`${t} \\(\\d+\\)  ← kept by the drive's retention \\(the laptop pruned it\\)`))
      // A fourth hour: the oldest of the three goes, and a dry run says so first.
      await clock(1)
      moved++
      writeRandom(src, 'hour3.bin', 1)
      const fourth = await snap(src)
      // Before the backup: `snapshots` marks the hour the next one prunes, and a dry run says so too.
      const list = await cli(keep, ['snapshots'])
      saveArtifact('recovery/keep-snapshots.txt', list)
      expect(list).toMatch(new RegExp(`${taken[0]} \\(\\d+\\)  ← removed at the next backup`))
      expect(list).not.toMatch(new RegExp(`${taken[1]} \\(\\d+\\)  ← removed`))
      const dry = await run(keep, { dryRun: true })
      saveArtifact('recovery/keep-dry-run.json', JSON.stringify(dry.events, null, 1))
      expect(dry.error).toBeUndefined()
      expect(dry.infos).toContainEqual(expect.stringMatching(new RegExp(`nrbk/laptop \\(keep 3 hourly\\): would remove .*@${taken[0]}.*; keeping 3`)))
      const real = await run(keep)
      expect(real.outcome).toBe('succeeded')
      await withPool(drive, async () => expect([...(await snapshotGuids(target)).keys()]).toEqual([...taken.slice(1), fourth]))
    } finally {
      await clock(-moved)
    }
  })
})

describe('the run lock', () => {
  it('lives in a root-only directory, and a lock file planted anywhere blocks nothing', async () => {
    writeFileSync('/run/lock/zfs-drive-backup.lock', '1\nbackup to N1\n')
    mkdirSync('/run/zfs-drive-backup', { recursive: true, mode: 0o700 })
    writeFileSync('/run/zfs-drive-backup/run.lock', '1\nbackup to N1\n')
    const st = await sh(['stat', '-c', '%U %a', '/run/zfs-drive-backup'])
    expect(st.stdout.trim()).toBe('root 700')
    expect((await sh(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'touch', '/run/zfs-drive-backup/x'], { ok: false })).exitCode).not.toBe(0)
    const r = await run(config)
    expect(r.error).toBeUndefined()
    expect(r.outcome).toBe('succeeded')
    expect(readFileSync('/run/zfs-drive-backup/run.lock', 'utf8')).toMatch(new RegExp(`^${process.pid}\\nbackup to N1\\n`))
  })
})
