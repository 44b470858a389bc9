// `flock(1)` from util-linux, run on a descriptor this process holds open. Node has no flock(2), but
// flock locks belong to the open file description, not to the process that asked: the short-lived
// flock process locks the description it inherited as fd 3 and exits, and the lock stays with our
// descriptor until we close it or the kernel closes it because we died (SIGKILL included).

/** The child's fd number the lock file is handed in as (stdio slot 3). */
export const FLOCK_FD = 3

/** Exit code of flock when another description holds the lock (EX_TEMPFAIL, chosen so it differs from usage errors). */
export const FLOCK_CONFLICT = 75

export function flockArgv(fd = FLOCK_FD): string[] {
  return ['flock', '--nonblock', '--exclusive', '--conflict-exit-code', String(FLOCK_CONFLICT), String(fd)]
}

export type FlockResult = 'locked' | 'held-elsewhere'

/** Reads flock's exit code; anything but success or conflict is a real failure (flock missing, bad fd). */
export function flockResult(exitCode: number | null, stderr: string): FlockResult {
  if (exitCode === 0) return 'locked'
  if (exitCode === FLOCK_CONFLICT) return 'held-elsewhere'
  throw new Error(`flock failed (exit ${exitCode ?? 'none'})${stderr.trim() ? `: ${stderr.trim()}` : ''}`)
}
