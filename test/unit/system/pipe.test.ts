// The send | receive pipe with real programs (no ZFS here: the VM tests run it with zfs itself).
import { describe, expect, it } from 'vitest'
import { PipeError, runPipe } from '../../../main/system/runner'

const alive = (pid: number | undefined): boolean => {
  try {
    process.kill(pid!, 0)
    return true
  } catch {
    return false
  }
}

describe('one OS pipe from one child to the other', () => {
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
