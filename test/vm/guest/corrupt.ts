// Damage a drive image behind ZFS's back, as a failing disk would: for scrub tests.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

/**
 * Overwrites 4 KiB with random bytes in `count` MiB chunks that hold data, away from the labels at both
 * ends of the disk. Only the head of each chunk is probed: reading the whole image through 9p takes minutes.
 * Returns how many chunks were hit. Only touch an image while its drive is unplugged.
 */
export function corrupt(image: string, count: number): number {
  const fd = openSync(image, 'r+')
  const MiB = 1024 * 1024
  const size = fstatSync(fd).size
  const probe = Buffer.alloc(64 * 1024)
  const candidates: number[] = []
  for (let off = 8 * MiB; off + MiB <= size - 8 * MiB; off += MiB) {
    readSync(fd, probe, 0, probe.length, off)
    for (let b = 0; b < probe.length; b += 4096) {
      if (probe.subarray(b, b + 4096).some((x) => x !== 0)) {
        candidates.push(off + b)
        break
      }
    }
  }
  const step = Math.max(1, Math.floor(candidates.length / count))
  let hit = 0
  for (let i = 0; i < candidates.length && hit < count; i += step, hit++) writeSync(fd, randomBytes(4096), 0, 4096, candidates[i]!)
  closeSync(fd)
  return hit
}
