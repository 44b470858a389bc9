// Who keeps a pool busy? `zpool export` fails with "pool or dataset is busy" while any process has its
// working directory, root, an open file or a mapped file under the pool's mountpoint. This walks /proc
// like fuser/lsof would, without needing either installed. Processes of other users are only visible to
// root; for them we see nothing (EACCES), which is the best an unprivileged scan can do.
import { readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

export type HoldKind = 'cwd' | 'root' | 'fd' | 'map'

export interface ProcessHold {
  pid: number
  /** /proc/PID/comm: the kernel's short command name (at most 15 characters). */
  command: string
  kind: HoldKind
  /** The path under the mountpoint the process holds. */
  path: string
}

/** Inside `mountpoint` (the directory itself or below it), but not a sibling like /mnt/backup_pool2. */
export function isUnder(path: string, mountpoint: string): boolean {
  const mp = mountpoint.replace(/\/+$/, '') || '/'
  const p = path.replace(/ \(deleted\)$/, '')
  return mp === '/' || p === mp || p.startsWith(`${mp}/`)
}

/** The path column of a /proc/PID/maps line (the 6th field; it may contain spaces). */
export function parseMapsPaths(maps: string): string[] {
  const paths = new Set<string>()
  for (const line of maps.split('\n')) {
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/.*)$/.exec(line)
    if (m) paths.add(m[1]!)
  }
  return [...paths]
}

/** The pids under /proc (or a fake tree), in order. */
async function procPids(procRoot: string): Promise<number[]> {
  return (await readdir(procRoot)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b)
}

async function tryReadlink(p: string): Promise<string | null> {
  try {
    return await readlink(p)
  } catch {
    return null
  }
}

async function tryRead(p: string): Promise<string | null> {
  try {
    return await readFile(p, 'utf8')
  } catch {
    return null
  }
}

/**
 * Lists processes holding anything under `mountpoint`. `procRoot` is for tests (a fake /proc tree).
 * Processes that exit while we scan are skipped.
 */
export async function findHolders(mountpoint: string, procRoot = '/proc'): Promise<ProcessHold[]> {
  const holds: ProcessHold[] = []
  const pids = await procPids(procRoot)
  for (const pid of pids) {
    const dir = join(procRoot, String(pid))
    const found: { kind: HoldKind; path: string }[] = []
    for (const kind of ['cwd', 'root'] as const) {
      const target = await tryReadlink(join(dir, kind))
      // A root of "/" is everyone's; only a chroot into the pool counts.
      if (target && !(kind === 'root' && target === '/') && isUnder(target, mountpoint)) found.push({ kind, path: target })
    }
    let fds: string[] = []
    try {
      fds = await readdir(join(dir, 'fd'))
    } catch {
      // Not ours to see, or gone.
    }
    for (const fd of fds) {
      const target = await tryReadlink(join(dir, 'fd', fd))
      if (target && target.startsWith('/') && isUnder(target, mountpoint)) found.push({ kind: 'fd', path: target })
    }
    const maps = await tryRead(join(dir, 'maps'))
    if (maps) for (const path of parseMapsPaths(maps)) if (isUnder(path, mountpoint)) found.push({ kind: 'map', path })
    if (found.length === 0) continue
    const command = ((await tryRead(join(dir, 'comm'))) ?? '?').trim()
    const seen = new Set<string>()
    for (const f of found) {
      const key = `${f.kind}\0${f.path}`
      if (seen.has(key)) continue
      seen.add(key)
      holds.push({ pid, command, ...f })
    }
  }
  return holds
}

export interface StuckProcess {
  pid: number
  command: string
}

/**
 * Processes of `commands` asleep in the kernel uninterruptibly (state D in /proc/PID/stat): after a
 * cable is pulled from a pool with failmode=wait, the zfs commands waiting on it, which no signal reaches.
 */
export async function stuckProcesses(commands: readonly string[] = ['zfs', 'zpool'], procRoot = '/proc'): Promise<StuckProcess[]> {
  const out: StuckProcess[] = []
  const pids = await procPids(procRoot)
  for (const pid of pids) {
    const st = await procState(procRoot, pid)
    if (st?.state === 'D' && commands.includes(st.command)) out.push({ pid, command: st.command })
  }
  return out
}

/**
 * zfs and zpool commands naming `pool` (or a dataset in it) on their command line, from /proc/PID/cmdline:
 * what a pulled run left running on that pool.
 */
export async function commandsOnPool(pool: string, procRoot = '/proc'): Promise<StuckProcess[]> {
  const out: StuckProcess[] = []
  const pids = await procPids(procRoot)
  for (const pid of pids) {
    if (pid === process.pid) continue
    const argv = (await tryRead(join(procRoot, String(pid), 'cmdline')))?.split('\0').filter(Boolean) ?? []
    const tool = argv.findIndex((a) => a === 'zfs' || a === 'zpool' || a.endsWith('/zfs') || a.endsWith('/zpool'))
    if (tool < 0) continue
    const names = argv.slice(tool + 1)
    if (names.some((a) => a === pool || a.startsWith(`${pool}/`) || a.startsWith(`${pool}@`))) out.push({ pid, command: argv.slice(tool, tool + 2).map((a) => a.split('/').pop()).join(' ') })
  }
  return out
}

/**
 * Waits until none of `pids` is alive, or `timeoutMs` passes, or `signal` aborts; returns those still
 * alive. They are not our children (a pulled run left them), so there is nothing to wait on but /proc.
 */
export async function waitForExit(pids: readonly number[], timeoutMs: number, signal?: AbortSignal, procRoot = '/proc'): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = await stillAlive(pids, procRoot)
  while (alive.length && Date.now() < deadline && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, 500))
    alive = await stillAlive(alive, procRoot)
  }
  return alive
}

async function stillAlive(pids: readonly number[], procRoot: string): Promise<number[]> {
  const out: number[] = []
  for (const pid of pids) {
    const st = await procState(procRoot, pid)
    // A zombie has exited; only its parent's wait is missing.
    if (st && st.state !== 'Z') out.push(pid)
  }
  return out
}

/** /proc/PID/stat's command and state, or null when the process is gone. */
async function procState(procRoot: string, pid: number): Promise<{ command: string; state: string } | null> {
  const stat = await tryRead(join(procRoot, String(pid), 'stat'))
  // "PID (comm) S …": comm may hold spaces and parentheses, so the state follows the last ')'.
  const m = stat ? /^\d+ \((.*)\) (\S)/s.exec(stat) : null
  return m ? { command: m[1]!, state: m[2]! } : null
}
