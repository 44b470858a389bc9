// Whether a device node or link is there now, and whether anything holds it. One seam for the checks that
// decide never to touch a pool whose disk is gone, so engine tests on stand-in tools can say which disks
// are plugged in.
import { closeSync, constants, existsSync, openSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

export const devices = {
  present(path: string): boolean {
    return existsSync(path)
  },

  /**
   * Nothing in the kernel holds the disk or any of its partitions: an exclusive open (O_EXCL on a block
   * device) succeeds. ZFS holds every vdev of an imported pool that way, as the kernel does a mounted
   * filesystem, and a held partition makes its whole disk refuse one too. False when held or unreadable.
   */
  unheld(disk: string): boolean {
    try {
      closeSync(openSync(disk, constants.O_RDONLY | constants.O_EXCL | constants.O_NONBLOCK))
      return true
    } catch {
      return false
    }
  },

  /** The by-id links of a whole disk and of its partitions (`DISK`, `DISK-part1`…): where its pool can be. */
  linksOf(disk: string): string[] {
    const dir = dirname(disk)
    const name = basename(disk)
    try {
      return readdirSync(dir).filter((n) => n === name || (n.startsWith(name) && /^-part\d+$/.test(n.slice(name.length)))).sort().map((n) => join(dir, n))
    } catch {
      return []
    }
  },
}
