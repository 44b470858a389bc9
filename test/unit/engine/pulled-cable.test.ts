// What a pulled cable meets in the engine, without ZFS (the VM's pulled-cable.last file pulls real ones):
// the disk's removal is seen as it happens, a command that does not return is left behind with its name,
// the run fails from outside the step it is in, and a pool left imported by a pulled run is taken back
// (or said to need a reboot) instead of being exported into a freeze.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DriveConfig } from '../../../main/config/schema'
import { watchDisk } from '../../../main/engine/drive-watch'
import { EngineError } from '../../../main/engine/errors'
import { runPipeline, type StepContext } from '../../../main/engine/pipeline'
import { exportDrivePool, importDrivePool, poolCondition, RECOVERY } from '../../../main/engine/pool'
import { markPulled, tellOnce, wasPulled } from '../../../main/engine/verified-state'
import { devices } from '../../../main/system/devices'
import { kernelLog, parseKmsg, zfsPanic } from '../../../main/system/kmsg'
import { stuckProcesses, waitForExit } from '../../../main/system/processes'
import { ProcessRunner, PipeError, runPipe, StuckCommandError, type CommandResult } from '../../../main/system/runner'
import type { RunEvent } from '../../../shared/events'
import { fixture } from '../system/fixtures'

/** /dev/kmsg as the VM logged it after `zpool clear` of a pool suspended mid raw receive. */
const KMSG = parseKmsg(readFileSync(new URL('../../fixtures/kernel/kmsg-zio-encrypt-panic.txt', import.meta.url), 'utf8'))

const dirs: string[] = []
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'zdb-pulled-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  vi.restoreAllMocks()
})

const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const t0 = Date.now()
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('watching the drive', () => {
  it('says the disk went as soon as its link is removed, and not for another disk\'s', async () => {
    const dir = tmp()
    const disk = join(dir, 'usb-Samsung_T7_S5')
    writeFileSync(disk, '')
    writeFileSync(join(dir, 'usb-Other'), '')
    let gone = 0
    const w = watchDisk(disk, () => gone++)
    rmSync(join(dir, 'usb-Other'))
    await new Promise((r) => setTimeout(r, 200))
    expect(gone).toBe(0)
    rmSync(disk)
    await until(() => gone === 1)
    expect(w.gone).toBe(true)
    w.stop()
  })

  it('does not watch a disk it never saw, and stop ends the watch', async () => {
    const dir = tmp()
    expect(watchDisk(join(dir, 'usb-absent'), () => expect.fail('never seen, never pulled')).gone).toBe(false)
    const disk = join(dir, 'usb-T7')
    writeFileSync(disk, '')
    const w = watchDisk(disk, () => expect.fail('stopped'))
    w.stop()
    rmSync(disk)
    await new Promise((r) => setTimeout(r, 200))
    expect(w.gone).toBe(false)
  })
})

describe('commands that do not return', () => {
  it('a deadline stops the wait and names the command, leaving it behind', async () => {
    const t0 = Date.now()
    const err = await new ProcessRunner().run(['sleep', '30'], { deadlineMs: 1000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StuckCommandError)
    expect((err as StuckCommandError).message).toMatch(/^sleep 30 did not return within 1 s \(pid \d+\)$/)
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  it('a pipe whose sides ignore the cancel is given up on, with their pids', async () => {
    const stubborn = ['sh', '-c', 'trap "" TERM; sleep 30']
    const ac = new AbortController()
    const ran = runPipe(stubborn, ['sh', '-c', 'trap "" TERM; cat >/dev/null'], { signal: ac.signal, killGraceMs: 60_000, stuckAfterMs: 300 })
    setTimeout(() => ac.abort(), 100)
    const err = await ran.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PipeError)
    const stuck = (err as PipeError).result.stuck ?? []
    expect(stuck).toHaveLength(2)
    for (const pid of stuck) process.kill(pid, 'SIGKILL')
  })

  it('the run reports it as a drive that stopped answering, with the step that did not return', async () => {
    const events: RunEvent[] = []
    const outcome = await runPipeline({
      verb: 'backup', drive: 'T7', state: {}, runner: new ProcessRunner(), emit: (e) => void events.push(e), signal: new AbortController().signal,
      steps: [{ id: 'export', title: 'Export the pool', run: async (ctx) => void (await ctx.runner.run(['sleep', '30'], { deadlineMs: 500 })) }],
    })
    expect(outcome).toBe('failed')
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-finished', step: 'export', outcome: 'failed' }))
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'drive-not-responding', message: expect.stringMatching(/^Export the pool: sleep 30 did not return within 1 s \(pid \d+\): the drive stopped answering\.$/) })
  })
})

describe('a run failed from outside its step', () => {
  it('stops the step at once, fails with the watcher\'s error, and still runs the cleanup', async () => {
    const events: RunEvent[] = []
    const ran: string[] = []
    const outcome = await runPipeline({
      verb: 'backup', drive: 'T7', state: {}, runner: new ProcessRunner(), emit: (e) => void events.push(e), signal: new AbortController().signal,
      steps: [
        { id: 'replicate', title: 'Send', run: async (ctx) => {
          setTimeout(() => ctx.fail(new EngineError('drive-disconnected', 'Drive "T7" was disconnected during the backup.')), 50)
          await ctx.runner.run(['sleep', '30'])
        } },
        { id: 'prune', title: 'Prune', run: async () => void ran.push('prune') },
        { id: 'export', title: 'Export', always: true, run: async () => void ran.push('export') },
      ],
    })
    expect(outcome).toBe('failed')
    expect(ran).toEqual(['export'])
    expect(events.filter((e) => e.type === 'step-finished').map((e) => e.type === 'step-finished' && [e.step, e.outcome])).toEqual([['replicate', 'failed'], ['prune', 'skipped'], ['export', 'ok']])
    expect(events.filter((e) => e.type === 'error')).toEqual([{ type: 'error', code: 'drive-disconnected', message: 'Drive "T7" was disconnected during the backup.' }])
  })
})

describe('what a pulled run leaves behind', () => {
  it('is named in the error, with its pid, when the transfer would not exit', async () => {
    const events: RunEvent[] = []
    let pids: number[] = []
    await runPipeline({
      verb: 'backup', drive: 'T7', state: {}, runner: new ProcessRunner(), emit: (e) => void events.push(e), signal: new AbortController().signal,
      steps: [{ id: 'replicate', title: 'Send', run: async (ctx) => {
        setTimeout(() => ctx.fail(new EngineError('drive-disconnected', 'Drive "T7" was disconnected during the backup.')), 100)
        const stubborn = ['setpriv', '--pdeathsig', 'KILL', '--', 'sh', '-c', 'trap "" TERM; sleep 30']
        await ctx.runner.pipe!(['sh', '-c', 'exec sleep 30'], stubborn, { killGraceMs: 60_000, stuckAfterMs: 300 }).catch((e: unknown) => {
          pids = (e as PipeError).result.stuck ?? []
          throw e
        })
      } }],
    })
    for (const pid of pids) process.kill(pid, 'SIGKILL')
    expect(pids).toHaveLength(1)
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'drive-disconnected', message: `Drive "T7" was disconnected during the backup. sh -c (pid ${pids[0]}) is still waiting for it in the kernel, and ends once it is back.` })
  })
})

describe('processes stuck in the kernel', () => {
  it('are the zfs and zpool commands in state D', async () => {
    const proc = tmp()
    const stat = (pid: number, comm: string, state: string) => {
      mkdirSync(join(proc, String(pid)))
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1 4194560`)
    }
    stat(10, 'zfs', 'D')
    stat(11, 'zfs', 'S')
    stat(12, 'zpool', 'D')
    stat(13, 'bash', 'D')
    stat(14, 'txg_sync', 'D')
    expect(await stuckProcesses(undefined, proc)).toEqual([{ pid: 10, command: 'zfs' }, { pid: 12, command: 'zpool' }])
  })
})

describe('the kernel log', () => {
  it('finds the ZFS panic logged after zpool clear (captured in the VM), with its assertion, and nothing before it', () => {
    expect(zfsPanic(KMSG)).toBe('VERIFY0(spa_do_crypt_abd(B_TRUE, spa, &zio->io_bookmark, BP_GET_TYPE(bp), BP_GET_DEDUP(bp), BP_SHOULD_BYTESWAP(bp), salt, iv, mac, psize, zio->io_abd, eabd, &no_crypt)) failed (0 == 13); PANIC at zio.c:4892:zio_encrypt()')
    expect(zfsPanic(KMSG, 661)).toBeNull()
    expect(zfsPanic(KMSG.filter((r) => r.seq < 660))).toBeNull()
  })
})

describe('what a pulled run left running', () => {
  it('is waited for until it has exited (a zombie counts as exited), and what is still alive is returned', async () => {
    const proc = tmp()
    const stat = (pid: number, state: string) => {
      mkdirSync(join(proc, String(pid)), { recursive: true })
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (zfs) ${state} 1 ${pid} ${pid} 0 -1 4194560`)
    }
    stat(20, 'D')
    stat(21, 'Z')
    stat(22, 'R')
    setTimeout(() => rmSync(join(proc, '20'), { recursive: true }), 300)
    expect(await waitForExit([20, 21], 5000, undefined, proc)).toEqual([])
    expect(await waitForExit([22, 23], 600, undefined, proc)).toEqual([22])
  })
})

describe('what a run keeps for the next one', () => {
  it('tells once: true the first time for a drive, then false, and per drive', () => {
    const path = join(tmp(), 'state', 'verified.json')
    expect(tellOnce(path, '222', 'failmode-continue')).toBe(true)
    expect(tellOnce(path, '222', 'failmode-continue')).toBe(false)
    expect(tellOnce(path, '333', 'failmode-continue')).toBe(true)
  })

  it('remembers a drive pulled mid-run until a run took its pool back', () => {
    const path = join(tmp(), 'verified.json')
    expect(wasPulled(path, '222')).toBe(false)
    markPulled(path, '222', true)
    expect([wasPulled(path, '222'), wasPulled(path, '333')]).toEqual([true, false])
    markPulled(path, '222', false)
    expect(wasPulled(path, '222')).toBe(false)
  })
})

// ---------------------------------------------------------------- a pool left imported by a pulled run

const T7 = '/dev/disk/by-id/usb-Samsung_T7_ZDB1'
const drive: DriveConfig = { name: 'T7', pool: 'backup', poolGuid: '16412717767768173259', disk: T7, targets: { 'rpool/home': 'backup/home' } } as DriveConfig

/** The captured `zpool status -jp` of a healthy pool on T7, with the pool and its disk in the given states. */
function status(pool: string, leaf: string): string {
  const json = JSON.parse(fixture('zpool-status-json-clean.txt')) as { pools: Record<string, { state: string; vdevs: Record<string, { vdevs: Record<string, { state: string; path: string }> }> }> }
  const p = json.pools.backup!
  p.state = pool
  const disk = Object.values(p.vdevs.backup!.vdevs)[0]!
  disk.state = leaf
  disk.path = `${T7}-part1`
  return JSON.stringify(json)
}

/** `zpool status -jp` captured in the VM right after a cable was pulled mid-receive (failmode=continue). */
const PULLED = fixture('zpool-status-json-pulled.txt')
const PULLED_DISK = '/dev/disk/by-id/usb-QEMU_QEMU_HARDDISK_ZDBPCSET-0:0'

interface Scene { health: string; pool: string; leaf: string; afterClear?: { health: string; pool: string; leaf: string } }

function scripted(scene: Scene): { ctx: StepContext; ran: string[][] } {
  const ran: string[][] = []
  let now = { health: scene.health, pool: scene.pool, leaf: scene.leaf }
  const reply = (argv: readonly string[]): string => {
    const cmd = argv.slice(0, 2).join(' ')
    if (cmd === 'zpool list') return `backup\t${drive.poolGuid}\t${now.health}\t1000\t10\t990\toff\t-\n`
    if (cmd === 'zpool status') return now.pool === 'PULLED' ? PULLED : status(now.pool, now.leaf)
    if (cmd === 'zpool clear' && scene.afterClear) now = scene.afterClear
    return ''
  }
  const ctx: StepContext = {
    runner: { run: async (argv): Promise<CommandResult> => (ran.push([...argv]), { argv, exitCode: 0, stdout: reply(argv), stderr: '', durationMs: 1 }) },
    signal: new AbortController().signal, progress: () => undefined, info: () => undefined, warn: () => undefined, emit: () => undefined, fail: () => undefined,
  }
  return { ctx, ran }
}

const changes = (ran: string[][]): string[][] => ran.filter((a) => ['clear', 'reopen', 'export', 'import'].includes(a[1]!))
const healthy = { health: 'ONLINE', pool: 'ONLINE', leaf: 'ONLINE' }

describe('the drive plugged back in while its pool is still imported', () => {
  beforeEach(() => {
    vi.spyOn(devices, 'present').mockReturnValue(true)
    vi.spyOn(kernelLog, 'read').mockReturnValue([])
    RECOVERY.settleMs = 0
  })

  it('a SUSPENDED pool (as ZFS shows one after a pull) is cleared, nothing else, then the run goes on as if it had imported it', async () => {
    const { ctx, ran } = scripted({ health: 'SUSPENDED', pool: 'PULLED', leaf: '', afterClear: healthy })
    const pool = await importDrivePool(ctx, drive)
    expect(changes(ran)).toEqual([['zpool', 'clear', 'backup']])
    expect(pool).toMatchObject({ name: 'backup', recovered: true, importedByUs: true, disk: T7 })
  })

  it('reads the pulled pool\'s state from zpool status: SUSPENDED, with its disk still ONLINE', async () => {
    const { ctx } = scripted({ health: 'SUSPENDED', pool: 'PULLED', leaf: '' })
    expect(await poolCondition(ctx, 'pcset')).toEqual({ disk: PULLED_DISK, leaves: ['ONLINE'], state: 'SUSPENDED' })
  })

  it('a pool ZFS still marks REMOVED is reopened, then cleared', async () => {
    const { ctx, ran } = scripted({ health: 'ONLINE', pool: 'ONLINE', leaf: 'REMOVED', afterClear: healthy })
    expect((await importDrivePool(ctx, drive)).recovered).toBe(true)
    expect(changes(ran)).toEqual([['zpool', 'reopen', 'backup'], ['zpool', 'clear', 'backup']])
  })

  it('a pool a pulled run left imported is taken back even when ZFS already calls it ONLINE, and the mark goes', async () => {
    const statePath = join(tmp(), 'verified.json')
    markPulled(statePath, drive.poolGuid, true)
    const { ctx, ran } = scripted({ ...healthy, afterClear: healthy })
    expect((await importDrivePool(ctx, drive, { statePath })).recovered).toBe(true)
    expect(changes(ran)).toEqual([['zpool', 'reopen', 'backup'], ['zpool', 'clear', 'backup']])
    expect(wasPulled(statePath, drive.poolGuid)).toBe(false)
  })

  it('a kernel panic after the clear (as OpenZFS 2.3 logged one in the VM) says reboot, and no later run touches the pool in this boot', async () => {
    const statePath = join(tmp(), 'verified.json')
    markPulled(statePath, drive.poolGuid, true)
    const before = KMSG.filter((r) => r.seq < 659)
    const read = vi.spyOn(kernelLog, 'read').mockReturnValueOnce(before).mockReturnValue(KMSG)
    vi.spyOn(kernelLog, 'bootId').mockReturnValue('boot-1')
    const first = scripted({ health: 'SUSPENDED', pool: 'PULLED', leaf: '', afterClear: healthy })
    await expect(importDrivePool(first.ctx, drive, { statePath })).rejects.toMatchObject({
      code: 'drive-needs-reboot',
      message: expect.stringContaining('ZFS hit an internal error while it retried the writes the pulled cable had interrupted (VERIFY0(spa_do_crypt_abd('),
    })
    expect(read).toHaveBeenCalled()
    expect(changes(first.ran)).toEqual([['zpool', 'clear', 'backup']])
    const again = scripted(healthy)
    await expect(importDrivePool(again.ctx, drive, { statePath })).rejects.toMatchObject({ code: 'drive-needs-reboot', message: expect.stringContaining('earlier in this boot, ZFS hit an internal error') })
    expect(changes(again.ran)).toEqual([])
    // After a reboot the pool is the drive's again.
    vi.spyOn(kernelLog, 'bootId').mockReturnValue('boot-2')
    const later = scripted({ ...healthy, afterClear: healthy })
    expect((await importDrivePool(later.ctx, drive, { statePath })).recovered).toBe(true)
  })

  it('a cancel while the clear settles stops the run and keeps the mark, so the next run takes the pool back again', async () => {
    const statePath = join(tmp(), 'verified.json')
    markPulled(statePath, drive.poolGuid, true)
    RECOVERY.settleMs = 60_000
    const controller = new AbortController()
    const { ctx } = scripted({ health: 'SUSPENDED', pool: 'PULLED', leaf: '', afterClear: healthy })
    setTimeout(() => controller.abort(), 100)
    await expect(importDrivePool({ ...ctx, signal: controller.signal }, drive, { statePath })).rejects.toMatchObject({ code: 'cancelled' })
    expect(wasPulled(statePath, drive.poolGuid)).toBe(true)
  })

  it('a healthy pool imported before is left alone', async () => {
    const { ctx, ran } = scripted(healthy)
    expect(await importDrivePool(ctx, drive)).toMatchObject({ recovered: false, importedByUs: false })
    expect(changes(ran)).toEqual([])
  })

  it('without the drive, says to plug it in, and touches nothing', async () => {
    vi.spyOn(devices, 'present').mockReturnValue(false)
    const { ctx, ran } = scripted({ health: 'SUSPENDED', pool: 'SUSPENDED', leaf: 'UNAVAIL' })
    await expect(importDrivePool(ctx, drive)).rejects.toMatchObject({ code: 'drive-not-connected', message: 'Drive "T7" is not connected: its pool backup is still imported (SUSPENDED) from when it was pulled.' })
    expect(changes(ran)).toEqual([])
  })

  it('when ZFS does not take it back, says a reboot is needed', async () => {
    const { ctx } = scripted({ health: 'SUSPENDED', pool: 'SUSPENDED', leaf: 'UNAVAIL', afterClear: { health: 'SUSPENDED', pool: 'SUSPENDED', leaf: 'UNAVAIL' } })
    await expect(importDrivePool(ctx, drive)).rejects.toMatchObject({ code: 'drive-needs-reboot', message: expect.stringMatching(/^ZFS could not take drive "T7" back after it was reconnected: it is still SUSPENDED \(pool backup\)\./) })
  })

  it('a pool whose drive is gone, or that is SUSPENDED, is never exported', async () => {
    vi.spyOn(devices, 'present').mockReturnValue(false)
    const gone = scripted(healthy)
    await expect(exportDrivePool(gone.ctx, drive)).rejects.toMatchObject({ code: 'drive-disconnected', message: expect.stringContaining('its drive is disconnected') })
    vi.spyOn(devices, 'present').mockReturnValue(true)
    const suspended = scripted({ health: 'SUSPENDED', pool: 'SUSPENDED', leaf: 'ONLINE' })
    await expect(exportDrivePool(suspended.ctx, drive)).rejects.toMatchObject({ code: 'drive-disconnected', message: expect.stringContaining('SUSPENDED') })
    expect([...changes(gone.ran), ...changes(suspended.ran)]).toEqual([])
  })
})
