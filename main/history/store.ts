// Run history: one JSON line per finished run, appended. A crash mid-write loses at most that line: each
// append starts on a fresh line (a torn last line is closed first, so it cannot swallow the next record)
// and is fsynced. Run as root for a user, the file is theirs: it is appended to without following a
// symlink and without changing its owner; folders and a file created for them are given to them.
import { constants } from 'node:fs'
import { chown, lstat, mkdir, open, readlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { RunRecord } from '../../shared/run-record'

export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const xdg = env.XDG_STATE_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local/state'), 'zfs-drive-backup', 'history.jsonl')
}

export class HistoryError extends Error {}

/** The user a root run writes the history for. */
export interface HistoryOwner {
  uid: number
  gid: number
}

/** Creates the missing folders of `dir` (0700), given to `owner` when root writes for someone. */
async function makeDirs(dir: string, owner: HistoryOwner | null): Promise<void> {
  const missing: string[] = []
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    if (await lstat(d).then(() => true, () => false)) break
    missing.unshift(d)
  }
  for (const d of missing) {
    await mkdir(d, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
    })
    if (owner) await chown(d, owner.uid, owner.gid)
  }
}

export async function appendRun(record: RunRecord, path = defaultHistoryPath(), owner: HistoryOwner | null = null): Promise<void> {
  await makeDirs(dirname(path), owner)
  let fh
  try {
    fh = await open(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new HistoryError(code === 'ELOOP' ? `${path} is a symbolic link; the history is only appended to the file itself.` : `${path} cannot be opened (${code ?? 'error'}).`)
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new HistoryError(`${path} is not a regular file.`)
    if (owner) {
      const real = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => path)
      if (real !== path) throw new HistoryError(`${path} goes through a symbolic link (it is ${real}); as root only a path without links is written.`)
      // Just created by us (root): it is the user's file. An existing one keeps its owner, which must be them.
      if (st.uid === 0 && st.size === 0) await fh.chown(owner.uid, owner.gid)
      else if (st.uid !== owner.uid) throw new HistoryError(`${path} is owned by uid ${st.uid}, not by the user it is written for (uid ${owner.uid}).`)
    }
    let prefix = ''
    if (st.size > 0) {
      const last = Buffer.alloc(1)
      await fh.read(last, 0, 1, st.size - 1)
      if (last[0] !== 0x0a) prefix = '\n'
    }
    await fh.write(prefix + JSON.stringify(record) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** The tail the history list reads: a runaway file is not read whole. */
export const MAX_HISTORY_READ = 16 * 1024 * 1024

/**
 * Newest first. A line that does not parse or is not a run record (a torn write after a crash, a hand
 * edit) is skipped with a warning; the rest are kept. A history that cannot be read at all is reported
 * the same way and reads as empty: nothing that is wrong with this file stops a run or the tray app.
 */
export async function readRuns(path = defaultHistoryPath(), limit = 100, warn: (message: string) => void = () => undefined): Promise<RunRecord[]> {
  let text: string
  try {
    text = await readTail(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return []
    warn(`cannot read the history ${path} (${code ?? (err as Error).message}); showing no past runs`)
    return []
  }
  const runs: RunRecord[] = []
  let damaged = 0
  for (const line of text.split('\n').reverse()) {
    if (!line.trim()) continue
    let data: unknown
    try {
      data = JSON.parse(line)
    } catch {
      damaged++
      continue
    }
    const r = RunRecord.safeParse(data)
    if (!r.success) {
      damaged++
      continue
    }
    runs.push(r.data)
    if (runs.length >= limit) break
  }
  if (damaged) warn(`skipped ${damaged} damaged line${damaged === 1 ? '' : 's'} in ${path} (an interrupted write or a hand edit); the other runs are intact`)
  return runs
}

async function readTail(path: string): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'not a regular file' })
    const start = Math.max(0, st.size - MAX_HISTORY_READ)
    const buf = Buffer.alloc(st.size - start)
    const { bytesRead } = await fh.read(buf, 0, buf.length, start)
    const text = buf.subarray(0, bytesRead).toString('utf8')
    // Started mid-file: the first line is partial.
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text
  } finally {
    await fh.close()
  }
}
