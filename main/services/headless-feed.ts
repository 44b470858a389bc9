// The backup-on-plug service's live feed: while it runs, the service (root) writes the run's events, one
// JSON line each, to a file only the drive's user can read; a tray app that is running follows it and
// shows the run as its own (without a cancel button: the service owns it).
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { RunEvent } from '../../shared/events'

// Not the run lock's directory (root-only): the feed's user must be able to reach their file.
export const FEED_DIR = '/run/zfs-drive-backup-feed'
export const feedPath = (uid: number, dir = FEED_DIR): string => `${dir}/headless-${uid}.jsonl`

/** Follows the feed file (it is rewritten from the start for each run); returns a stop function. */
export function followFeed(path: string, onEvent: (e: RunEvent) => void, intervalMs = 1000): () => void {
  let offset = 0
  let inode = -1
  let partial = ''
  const read = (): void => {
    let st
    try {
      st = statSync(path)
    } catch {
      return
    }
    if (st.ino !== inode || st.size < offset) {
      inode = st.ino
      offset = 0
      partial = ''
    }
    if (st.size === offset) return
    const fd = openSync(path, 'r')
    try {
      const buf = Buffer.alloc(st.size - offset)
      const n = readSync(fd, buf, 0, buf.length, offset)
      offset += n
      partial += buf.subarray(0, n).toString('utf8')
    } finally {
      closeSync(fd)
    }
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const parsed = RunEvent.safeParse(safeJson(line))
      if (parsed.success) onEvent(parsed.data)
    }
  }
  // What is in the file now belongs to a run that started before us: only what comes next is shown.
  try {
    const st = statSync(path)
    inode = st.ino
    offset = st.size
  } catch {
    // no run yet
  }
  // Polled (a stat a second): the folder lives in /run and appears only with the first headless run, so
  // there may be nothing to put an inotify watch on yet. Our own stat, not fs.watchFile: watchFile takes
  // its first stat later, and a run that wrote in between would go unseen until its next line.
  const timer = setInterval(read, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return null
  }
}
