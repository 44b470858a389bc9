// The privileged helper as root against real OpenZFS, syncoid, udev and udisks2: the built
// out/main/helper.js, a job on stdin, RunEvents on stdout. Run `electron-vite build` first.
import { existsSync, writeFileSync } from 'node:fs'
import { execa, type ResultPromise } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunEvent } from '../../shared/events'
import { importOnOwnDisk, replug } from './guest/drives'
import { saveArtifact } from './guest/env'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, writeRandom, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const HELPER = '/opt/proj/out/main/helper.js'
const configPath = '/root/helper-test-config.json'
const POOL = 'helpbk'

interface HelperRun {
  exitCode: number | null
  lines: string[]
  events: RunEvent[]
  stderr: string
  /** ms from start to each event. */
  times: number[]
}

/** Starts the helper, writes the job (stdin stays open unless `closeStdin`), and collects the events. */
function startHelper(jobLine: string, opts: { command?: string[]; closeStdin?: boolean; onEvent?: (e: RunEvent, child: ResultPromise) => void } = {}): Promise<HelperRun> {
  const [file, ...args] = opts.command ?? [process.execPath, HELPER]
  const child = execa(file!, args, { cwd: '/opt/proj', stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false } })
  const t0 = Date.now()
  const lines: string[] = []
  const events: RunEvent[] = []
  const times: number[] = []
  let buf = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      lines.push(line)
      // Every line must be a valid event: this throws (and fails the test) otherwise.
      const e = RunEvent.parse(JSON.parse(line))
      events.push(e)
      times.push(Date.now() - t0)
      opts.onEvent?.(e, child)
    }
  })
  child.stdin!.write(jobLine + '\n')
  if (opts.closeStdin) child.stdin!.end()
  return child.then((r) => {
    if (opts.closeStdin === undefined) child.stdin?.end()
    return { exitCode: r.exitCode ?? null, lines, events, stderr: String(r.stderr), times }
  })
}

/** Runs a job to the end: stdin is closed only after run-finished (closing it earlier would cancel). */
function runJob(job: object, command?: string[]): Promise<HelperRun> {
  return startHelper(JSON.stringify(job), { ...(command ? { command } : {}), onEvent: (e, child) => e.type === 'run-finished' && child.stdin?.end() })
}

let src: SourcePool
let drive: BackupDrive

beforeAll(async () => {
  expect(existsSync(HELPER), 'build first: npx electron-vite build').toBe(true)
  src = await makeSource('helplap')
  writeRandom(src, 'photos.bin', 16)
  await snap(src, 'daily')
  drive = await makeBackupDrive('help1', POOL)
  writeFileSync(configPath, JSON.stringify(configFor(src, [{ name: 'T7', drive }])), { mode: 0o600 })
})

afterAll(async () => {
  for (const p of await importedPools()) if (p === POOL) await sh(['zpool', 'export', '-f', p], { ok: false })
})

const commands = (r: HelperRun) => r.events.flatMap((e) => (e.type === 'command' ? [e.argv] : []))

describe('jobs refused before any command runs', () => {
  it.each([
    ['malformed JSON', 'zpool import -a'],
    ['an unknown verb', JSON.stringify({ verb: 'destroy', configPath, drive: 'T7' })],
    ['a smuggled argv', JSON.stringify({ verb: 'backup', configPath, drive: 'T7', argv: ['zpool', 'import', '-a'] })],
    ['an unknown drive', JSON.stringify({ verb: 'backup', configPath, drive: 'Nope' })],
  ])('%s: exit 2, one error event, nothing imported', async (_what, line) => {
    const before = await importedPools()
    const r = await startHelper(line, { closeStdin: false, onEvent: (_e, child) => child.stdin?.end() })
    expect(r.exitCode).toBe(2)
    expect(r.events).toHaveLength(1)
    expect(r.events[0]).toMatchObject({ type: 'error' })
    expect(commands(r)).toEqual([])
    expect(await importedPools()).toEqual(before)
    expect(before).not.toContain(POOL)
  })
})

describe('a backup job as root', () => {
  it('streams valid events (commands, byte progress) through to run-finished succeeded, and powers the drive off', async () => {
    const r = await runJob({ verb: 'backup', configPath, drive: 'T7' })
    saveArtifact('helper/backup-events.jsonl', r.lines.join('\n') + '\n')
    saveArtifact('helper/backup-times.json', JSON.stringify(r.events.map((e, i) => ({ t: r.times[i], type: e.type })), null, 1))
    expect(r.stderr).toBe('')
    expect(r.events.find((e) => e.type === 'error')).toBeUndefined()
    expect(r.events[0]).toMatchObject({ type: 'run-started', verb: 'backup', drive: 'T7' })
    expect(r.events.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'succeeded' })
    expect(r.exitCode).toBe(0)
    expect(importOnOwnDisk(commands(r), drive.usb.byId, drive.guid)).toEqual(['-N', '-o', 'failmode=continue'])
    expect(commands(r)).toContainEqual(['zpool', 'export', POOL])
    expect(r.events.filter((e) => e.type === 'progress').length).toBeGreaterThan(0)
    expect(existsSync(drive.usb.byId)).toBe(false)
  })

  it('closing stdin mid-transfer cancels: the send stops, the pool is exported, exit 130', async () => {
    // After power-off the device is still on QEMU's bus: pull it and plug it back in.
    await replug(drive.usb)
    writeRandom(src, 'video.bin', 160)
    await snap(src)
    let closedAt = 0
    const r = await startHelper(JSON.stringify({ verb: 'backup', configPath, drive: 'T7' }), {
      onEvent: (e, child) => {
        if (e.type === 'progress' && e.bytes > 4 * 1024 * 1024 && !closedAt) {
          closedAt = Date.now()
          child.stdin!.end()
        }
      },
    })
    saveArtifact('helper/cancel-events.jsonl', r.lines.join('\n') + '\n')
    expect(closedAt).toBeGreaterThan(0)
    expect(r.events.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'cancelled' })
    expect(r.exitCode).toBe(130)
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'step-finished', step: 'export', outcome: 'ok' }))
    expect(await importedPools()).not.toContain(POOL)
    // Not powered off: a cancelled run leaves the drive plugged in and exported.
    expect(existsSync(drive.usb.byId)).toBe(true)
  })
})

describe('through pkexec', () => {
  it('pkexec (as root, no prompt) runs the helper, which sees PKEXEC_UID and streams an eject', async () => {
    const pkexec = (await sh(['sh', '-c', 'command -v pkexec'], { ok: false })).stdout.trim()
    expect(pkexec, 'pkexec is in the VM image').not.toBe('')
    const r = await runJob({ verb: 'eject', configPath, drive: 'T7' }, [pkexec, process.execPath, HELPER])
    saveArtifact('helper/pkexec-eject.jsonl', `${r.lines.join('\n')}\n# exit ${r.exitCode}\n# stderr\n${r.stderr}\n`)
    expect(r.stderr).toBe('')
    expect(r.events.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'succeeded' })
    expect(r.exitCode).toBe(0)
    expect(commands(r)).toContainEqual(['udisksctl', 'power-off', '-b', drive.usb.byId])
    expect(existsSync(drive.usb.byId)).toBe(false)
  })

  it('under pkexec, a config owned by another user is refused before any command', async () => {
    const pkexec = (await sh(['sh', '-c', 'command -v pkexec'], { ok: false })).stdout.trim()
    const other = '/tmp/helper-other-owner.json'
    writeFileSync(other, JSON.stringify(configFor(src, [{ name: 'T7', drive }])), { mode: 0o644 })
    await sh(['chown', 'nobody', other])
    const r = await runJob({ verb: 'backup', configPath: other, drive: 'T7' }, [pkexec, process.execPath, HELPER])
    expect(r.exitCode).toBe(2)
    expect(r.events).toEqual([expect.objectContaining({ type: 'error', code: 'config-refused' })])
  })
})
