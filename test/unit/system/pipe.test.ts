// The send | receive pipe with real programs (no ZFS here: the VM tests run it with zfs itself).
import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openFifo } from '../../../main/system/fifo'
import { ProcessRunner, PipeError, runPipe as runOnSocketpair, type PipeOptions } from '../../../main/system/runner'

const alive = (pid: number | undefined): boolean => {
  try {
    process.kill(pid!, 0)
    return true
  } catch {
    return false
  }
}

// Both ways the runner can join the two: a FIFO (what it uses) and libuv's socketpair (its fallback).
const ways = {
  FIFO: async (send: string[], receive: string[], o: PipeOptions = {}) => runOnSocketpair(send, receive, o, await openFifo()),
  socketpair: async (send: string[], receive: string[], o: PipeOptions = {}) => runOnSocketpair(send, receive, o),
}

describe('the runner joins a send to its receive with a FIFO', () => {
  it('so the sender\'s stdout is a pipe (what libzfs needs for zfs send -v to report its bytes), made by a command it shows', async () => {
    const runner = new ProcessRunner()
    const shown: string[][] = []
    runner.onCommand((argv) => shown.push([...argv]))
    // The sender writes what its stdout is into the pipe; the receiver prints that, then what its stdin is.
    const send = ['sh', '-c', 'stat -L -c %F /proc/$$/fd/1']
    const receive = ['sh', '-c', 'cat >&2; stat -L -c %F /proc/$$/fd/0 >&2']
    const r = await runner.pipe(send, receive)
    expect(r.receive.stderr).toBe('fifo\nfifo\n')
    expect(shown[0]).toEqual(['mkfifo', '-m', '600', expect.stringMatching(/\/zfs-drive-backup-pipe-[^/]+\/stream$/)])
    expect(shown.slice(1)).toEqual([send, receive])
    // Its folder is gone once both ends are open.
    expect(existsSync(dirname(shown[0]![3]!))).toBe(false)
  })
})

describe.each(Object.entries(ways))('one OS pipe from one child to the other (%s)', (_, runPipe) => {
  it('hands every byte across without this process reading any, and the receiver sees EOF', async () => {
    const r = await runPipe(['head', '-c', '50000000', '/dev/zero'], ['sh', '-c', 'wc -c >&2'], {})
    expect(r.send.exitCode).toBe(0)
    expect(r.receive.exitCode).toBe(0)
    expect(r.receive.stderr.trim()).toBe('50000000')
  })

  it('streams the sender\'s stderr line by line and keeps only a bounded tail', async () => {
    const got: string[] = []
    const r = await runPipe(['sh', '-c', 'for i in $(seq 1 2000); do echo "line $i" >&2; done; echo data'], ['cat'], { onSendStderrLine: (l) => got.push(l), stderrLimit: 100 })
    expect(got).toHaveLength(2000)
    expect(got.at(-1)).toBe('line 2000')
    expect(r.send.stderr.length).toBeLessThanOrEqual(100)
    expect(r.send.stderr).toMatch(/line 2000\n$/)
  })

  it('a receiver that fails stops the sender (EPIPE) and both stderrs reach the error', async () => {
    const err = await runPipe(['sh', '-c', 'echo sending >&2; exec head -c 2000000000 /dev/zero'], ['sh', '-c', 'head -c 10 >/dev/null; echo "cannot receive: nope" >&2; exit 1']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PipeError)
    const e = err as PipeError
    expect(e.result.receive.exitCode).toBe(1)
    expect(e.result.send.exitCode === 0).toBe(false)
    expect(e.message).toMatch(/cannot receive: nope/)
    expect(e.cancelled).toBe(false)
  })

  it('a sender that cannot start fails the pipe without leaving the receiver waiting', async () => {
    const err = (await runPipe(['/nonexistent/zfs'], ['sleep', '30']).catch((e: unknown) => e)) as PipeError
    expect(err).toBeInstanceOf(PipeError)
    expect(err.result.send.exitCode).toBeNull()
    expect(alive(err.result.receive.pid)).toBe(false)
  })

  it('cancel kills both children by pid, even one that ignores SIGTERM', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 200)
    const err = (await runPipe(['sh', '-c', 'trap "" TERM; while :; do :; done'], ['sleep', '30'], { signal: ac.signal, killGraceMs: 300 }).catch((e: unknown) => e)) as PipeError
    expect(err).toBeInstanceOf(PipeError)
    expect(err.cancelled).toBe(true)
    expect(alive(err.result.send.pid)).toBe(false)
    expect(alive(err.result.receive.pid)).toBe(false)
  })
})

describe('a transfer dies with the process that started it', () => {
  it('setpriv --pdeathsig KILL: both children are gone once their parent is SIGKILLed', async () => {
    const { execa } = await import('execa')
    const { dieWithParentArgv } = await import('../../../main/system/setpriv')
    const pidFile = `/tmp/zdb-pdeathsig-${process.pid}`
    // A parent that starts the pipe the way the runner does, reports the pids, then waits to be killed.
    const script = `
      const { spawn } = require('node:child_process')
      const a = ${JSON.stringify(dieWithParentArgv(['sleep', '60']))}
      const b = ${JSON.stringify(dieWithParentArgv(['sleep', '61']))}
      const recv = spawn(b[0], b.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] })
      const send = spawn(a[0], a.slice(1), { stdio: ['ignore', recv.stdin, 'ignore'] })
      recv.stdin.destroy()
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, send.pid + ' ' + recv.pid)
      setInterval(() => {}, 1000)`
    const parent = execa(process.execPath, ['-e', script], { reject: false })
    const { existsSync, readFileSync, rmSync } = await import('node:fs')
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20))
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number)
    rmSync(pidFile)
    // setpriv has set the signal once it has exec'd its command.
    const comm = (pid: number): string => (existsSync(`/proc/${pid}/comm`) ? readFileSync(`/proc/${pid}/comm`, 'utf8').trim() : '')
    while (!pids.every((p) => comm(p) === 'sleep')) await new Promise((r) => setTimeout(r, 20))
    expect(pids.every(alive)).toBe(true)
    parent.kill('SIGKILL')
    await parent
    const deadline = Date.now() + 5000
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(pids.some(alive)).toBe(false)
  })

  it.runIf(process.getuid?.() === 0)('a command with children of its own (syncoid\'s shell pipeline): its whole tree is gone once the parent is SIGKILLed', async () => {
    const { execa } = await import('execa')
    const { dieWithParentTreeArgv, unwrapDieWithParent } = await import('../../../main/system/setpriv')
    const inner = ['sh', '-c', `sleep 6${process.pid % 10}1 | sleep 6${process.pid % 10}2`]
    const argv = dieWithParentTreeArgv(inner)
    expect(unwrapDieWithParent(argv)).toEqual(inner)
    const script = `require('node:child_process').spawn(${JSON.stringify(argv[0])}, ${JSON.stringify(argv.slice(1))}, { stdio: 'ignore', detached: true }); setInterval(() => {}, 1000)`
    const parent = execa(process.execPath, ['-e', script], { reject: false })
    const tree = async (): Promise<number[]> => (await execa('pgrep', ['-f', `^sleep 6${process.pid % 10}[12]$`], { reject: false })).stdout.split('\n').filter(Boolean).map(Number)
    const t0 = Date.now()
    while ((await tree()).length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20))
    const pids = await tree()
    expect(pids).toHaveLength(2)
    parent.kill('SIGKILL')
    await parent
    const deadline = Date.now() + 5000
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(pids.some(alive)).toBe(false)
  })
})
