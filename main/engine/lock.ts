// One run at a time per machine: pools are machine-wide, so the lock is too. It is a flock(2) on a file in
// a directory only this user (root, for real runs) can write: /run/zfs-drive-backup/, mode 0700. The
// kernel drops a flock when its holder dies, so a crashed or SIGKILLed run never blocks the next one, and
// no file anybody else can create (a pid file planted in world-writable /run/lock used to block every
// backup) can stand in for a lock: only a live holder of the flock counts. The file is never unlinked
// (unlinking a flock file lets two runs lock two different files); its text only names the holder.
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { flockArgv, flockResult } from '../system/flock'
import { runSyncWithFd } from '../system/runner'
import { EngineError } from './errors'

export const ROOT_LOCK_DIR = '/run/zfs-drive-backup'

export function defaultLockPath(): string {
  if (process.geteuid?.() === 0) return join(ROOT_LOCK_DIR, 'run.lock')
  const runtime = process.env.XDG_RUNTIME_DIR
  return join(runtime && runtime.startsWith('/') ? runtime : tmpdir(), 'zfs-drive-backup', 'run.lock')
}

export interface Lock {
  release(): void
}

const euid = (): number => process.geteuid?.() ?? -1

/**
 * The lock's directory must be ours alone: a directory others can write would let them swap the lock
 * file. It is created 0700 if missing; one that exists is used only when it is a real directory (not a
 * symlink) owned by us with no group or other permissions.
 */
export function checkLockDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const st = lstatSync(dir)
  const problem = !st.isDirectory() ? 'is not a directory' : st.uid !== euid() ? `is owned by uid ${st.uid}, not by us (uid ${euid()})` : (st.mode & 0o077) !== 0 ? `has mode ${(st.mode & 0o777).toString(8)}, not 700` : null
  if (problem) {
    throw new EngineError('lock-dir-unsafe', `The run-lock directory ${dir} ${problem}, so another user could interfere with runs.`, `Remove it (sudo rm -r ${dir}); the next run creates it again, owned by root with mode 0700.`)
  }
}

function openLockFile(path: string): number {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err
    throw new EngineError('lock-dir-unsafe', `The run lock ${path} is a symbolic link.`, `Remove it (sudo rm ${path}).`)
  }
  const st = fstatSync(fd)
  if (!st.isFile() || st.uid !== euid()) {
    closeSync(fd)
    throw new EngineError('lock-dir-unsafe', `The run lock ${path} is not a regular file of ours.`, `Remove it (sudo rm ${path}).`)
  }
  return fd
}

function readHolder(fd: number): { pid: string; what: string } {
  const buf = Buffer.alloc(512)
  const n = readSync(fd, buf, 0, buf.length, 0)
  const [pid = '', what = ''] = buf.subarray(0, n).toString('utf8').split('\n')
  return { pid: /^\d+$/.test(pid) ? pid : '', what: what.slice(0, 200) }
}

export function acquireLock(path = defaultLockPath(), what = 'a run'): Lock {
  checkLockDir(dirname(path))
  const fd = openLockFile(path)
  let result
  try {
    const r = runSyncWithFd(flockArgv(), fd)
    result = flockResult(r.exitCode, r.stderr)
  } catch (err) {
    closeSync(fd)
    if (err instanceof EngineError) throw err
    throw new EngineError('tool-missing', `Could not take the run lock with flock (util-linux): ${err instanceof Error ? err.message : String(err)}`, 'Install util-linux (it provides flock).')
  }
  if (result === 'held-elsewhere') {
    const holder = readHolder(fd)
    closeSync(fd)
    throw new EngineError('busy-another-run', `Another ${holder.what || 'run'} is in progress${holder.pid ? ` (process ${holder.pid})` : ''}.`, 'Wait for it to finish, or cancel it.')
  }
  ftruncateSync(fd, 0)
  writeSync(fd, `${process.pid}\n${what.replace(/\n/g, ' ')}\n`, 0)
  let open = true
  return {
    release: () => {
      if (!open) return
      open = false
      closeSync(fd)
    },
  }
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
