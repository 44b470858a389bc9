// One run at a time per machine: pools are machine-wide, so the lock is too. A lock whose owner died
// (crash, power loss) is taken over instead of blocking backups forever.
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { EngineError } from './errors'

export function defaultLockPath(): string {
  if (process.getuid?.() === 0) return '/run/lock/zfs-drive-backup.lock'
  return join(process.env.XDG_RUNTIME_DIR ?? '/tmp', 'zfs-drive-backup.lock')
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export interface Lock {
  release(): void
}

export function acquireLock(path = defaultLockPath(), what = 'a run'): Lock {
  mkdirSync(dirname(path), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644)
      writeSync(fd, `${process.pid}\n${what}\n`)
      closeSync(fd)
      return {
        release: () => {
          try {
            if (readFileSync(path, 'utf8').split('\n')[0] === String(process.pid)) unlinkSync(path)
          } catch {
            // already gone
          }
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const [pid, holder] = readFileSync(path, 'utf8').split('\n')
      if (pid && alive(Number(pid))) {
        throw new EngineError('busy-another-run', `Another ${holder || 'run'} is in progress (process ${pid}).`, 'Wait for it to finish, or cancel it.')
      }
      unlinkSync(path)
    }
  }
  throw new EngineError('busy-another-run', 'Could not take the run lock.')
}

/**
 * The cleanup step of a pipeline that holds the run lock (export, undo): runs only when this run holds
 * the lock (otherwise another run owns the drive), and releases the lock whatever happens.
 */
export async function releasingLock<S extends { lock: Lock | null }, R>(s: S, cleanup: () => Promise<R>): Promise<R | { skipped: string }> {
  const lock = s.lock
  if (!lock) return { skipped: 'another run owns the drive' }
  try {
    return await cleanup()
  } finally {
    lock.release()
    s.lock = null
  }
}
