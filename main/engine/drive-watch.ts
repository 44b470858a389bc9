// Watches a run's drive while it writes to it. When the cable is pulled, udev removes the disk's
// /dev/disk/by-id link within a second of the kernel noticing; inotify (fs.watch) reports that removal,
// so nothing is polled and a healthy run costs one watch descriptor.
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { devices } from '../system/devices'

export interface DriveWatch {
  /** The disk went away while watched. */
  readonly gone: boolean
  stop(): void
}

/**
 * Calls onGone once when `disk` (a by-id link) disappears. A disk not there to begin with (a pool on a
 * path udev does not link) is not watched: what was never seen cannot be pulled.
 */
export function watchDisk(disk: string, onGone: () => void, exists: (path: string) => boolean = (p) => devices.present(p)): DriveWatch {
  let gone = false
  let watcher: FSWatcher | null = null
  if (!exists(disk)) return { gone: false, stop: () => undefined }
  const check = (): void => {
    if (gone || exists(disk)) return
    gone = true
    watcher?.close()
    watcher = null
    onGone()
  }
  try {
    watcher = watch(dirname(disk), { persistent: false }, (_event, name) => {
      // Its partitions' links (-part1) go in the same removal; any of them, or an unnamed event, is a cue.
      if (name === null || String(name).startsWith(basename(disk))) check()
    })
    watcher.on('error', () => check())
  } catch {
    // The directory cannot be watched (no inotify watches left): the run goes on unwatched.
  }
  // It may have gone between the first look and the watch.
  check()
  return {
    get gone() {
      return gone
    },
    stop() {
      watcher?.close()
      watcher = null
    },
  }
}
