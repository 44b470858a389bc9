// A real pipe (a FIFO) between two children, for `zfs send | zfs receive`. Node's own stdio pipes are
// socketpairs, and libzfs treats a send whose stdout is not a FIFO differently (lzc_send_wrapper): the
// kernel writes into a pipe of libzfs's own, and `zfs send -v`'s progress thread, asking about the fd it
// was given, finds no stream and stops, so a transfer reported 0 bytes until it ended. Seen in the VM:
// a 137 MB incremental at 4 MiB/s reported 0 bytes for 45 s, then all of them at once.
import { execFile } from 'node:child_process'
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface OsPipe {
  read: number
  write: number
}

/** The command that makes the FIFO, as shown in a run's commands. */
export function mkfifoArgv(path: string): string[] {
  return ['mkfifo', '-m', '600', path]
}

/**
 * Both ends of a fresh FIFO, opened without blocking the event loop: the FIFO is first opened read-write
 * (which never waits for a peer), its read end is then reopened through /proc/self/fd (a writer exists, so
 * that does not wait either), then its write end; the read-write one is closed and the name removed, so
 * the pipe's only ends are the two returned. The FIFO lives in a fresh 0700 folder of our own (mkdtemp),
 * never at a name anyone else could have made. Null when mkfifo is not there or fails.
 */
export async function openFifo(onCommand?: (argv: readonly string[]) => void): Promise<OsPipe | null> {
  const dir = mkdtempSync(join(tmpdir(), 'zfs-drive-backup-pipe-'))
  const path = join(dir, 'stream')
  try {
    const argv = mkfifoArgv(path)
    onCommand?.(argv)
    const made = await new Promise<boolean>((resolve) => execFile(argv[0]!, argv.slice(1), { timeout: 30_000 }, (err) => resolve(!err)))
    if (!made) return null
    const both = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW)
    let read: number | null = null
    try {
      read = openSync(`/proc/self/fd/${both}`, constants.O_RDONLY)
      return { read, write: openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW) }
    } catch {
      if (read !== null) closeSync(read)
      return null
    } finally {
      closeSync(both)
    }
  } catch {
    return null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
