// The run lock as a user meets it: a second run is refused naming the first, a run that died (even by
// SIGKILL) blocks nothing, and no file anybody plants makes a lock.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireLock, type Lock } from '../../../main/engine/lock'

const held: Lock[] = []
afterEach(() => {
  for (const l of held.splice(0)) l.release()
})

function fresh(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-lock-'))
  return { dir, path: join(dir, 'run.lock') }
}

function take(path: string, what?: string): Lock {
  const l = acquireLock(path, what)
  held.push(l)
  return l
}

async function takeWithin(path: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      take(path)
      return true
    } catch (err) {
      if ((err as { code?: string }).code !== 'busy-another-run' || Date.now() > deadline) throw err
      await new Promise((ok) => setTimeout(ok, 50))
    }
  }
}

describe('the run lock', () => {
  it('refuses a second run while the first holds it, naming the first', () => {
    const { path } = fresh()
    take(path, 'backup to T7')
    expect(() => acquireLock(path, 'scrub of T7')).toThrow(expect.objectContaining({ code: 'busy-another-run', message: `Another backup to T7 is in progress (process ${process.pid}).` }))
  })

  it('is free again once released, and the file stays (never unlinked under a waiting run)', () => {
    const { path } = fresh()
    take(path).release()
    take(path, 'eject of T7')
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\neject of T7\n`)
  })

  it('a planted file, even one naming a live process, blocks nothing', () => {
    const { path } = fresh()
    writeFileSync(path, '1\nbackup to T7\n')
    expect(() => take(path)).not.toThrow()
  })

  it('lives on our own descriptor: the flock process that took it has exited, and a second run is still refused', () => {
    const { path } = fresh()
    take(path, 'backup to T7')
    // acquireLock returned, so its flock(1) child is gone; the lock must still hold.
    expect(spawnSync('flock', ['--nonblock', path, 'true']).status).toBe(1)
  })

  it('the kernel frees a lock whose holder is killed with SIGKILL', async () => {
    const { path } = fresh()
    // A holder whose lock lives on an open descriptor, like ours: flock -o keeps it in the flock process only.
    const holder = spawn('flock', ['--exclusive', '-o', path, 'sleep', '600'], { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    while (spawnSync('flock', ['--nonblock', path, 'true']).status === 0) {
      if (Date.now() > deadline) throw new Error('the holder never took the lock')
      await new Promise((ok) => setTimeout(ok, 20))
    }
    expect(() => acquireLock(path)).toThrow(expect.objectContaining({ code: 'busy-another-run' }))
    const gone = new Promise((ok) => holder.on('exit', ok))
    holder.kill('SIGKILL')
    await gone
    // flock(1) forks before its child closes the descriptor (-o): a kill in between leaves the child's copy
    // open for a moment, so the lock comes free shortly after the exit, not necessarily at it.
    expect(await takeWithin(path, 10_000)).toBe(true)
  }, 30_000)

  it('refuses a directory others could write into, or a symlinked one', () => {
    const { dir } = fresh()
    const open = join(dir, 'open')
    mkdirSync(open)
    chmodSync(open, 0o777)
    expect(() => acquireLock(join(open, 'run.lock'))).toThrow(expect.objectContaining({ code: 'lock-dir-unsafe' }))
    const inner = join(dir, 'inner')
    mkdirSync(inner, { mode: 0o700 })
    symlinkSync(inner, join(dir, 'link'))
    expect(() => acquireLock(join(dir, 'link', 'run.lock'))).toThrow(expect.objectContaining({ code: 'lock-dir-unsafe' }))
  })

  it('refuses a lock file that is a symlink (it could point anywhere root can write)', () => {
    const { dir, path } = fresh()
    writeFileSync(join(dir, 'victim'), 'x')
    symlinkSync(join(dir, 'victim'), path)
    expect(() => acquireLock(path)).toThrow(expect.objectContaining({ code: 'lock-dir-unsafe' }))
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('x')
  })

  it('creates a missing directory with mode 0700', () => {
    const { dir } = fresh()
    const path = join(dir, 'zfs-drive-backup', 'run.lock')
    take(path)
    expect(() => acquireLock(path)).toThrow(expect.objectContaining({ code: 'busy-another-run' }))
  })
})
