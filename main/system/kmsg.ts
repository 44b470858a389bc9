// The kernel's log, read from /dev/kmsg (root only). OpenZFS reports an internal error ("PANIC at
// zio.c:4892:zio_encrypt()") only there: the thread that hit it stops for good, so every write to that
// pool waits from then on, and the commands that wait for one (an export above all, which holds ZFS's
// namespace lock meanwhile) never return. Seen in the VM after `zpool clear` of a pool suspended
// mid raw receive.
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs'

export interface KernelRecord {
  seq: number
  message: string
}

/** One /dev/kmsg record, "PRI,SEQ,USEC,FLAGS;MESSAGE" (continuation lines, " KEY=VALUE", are not records). */
export function parseKmsgRecord(record: string): KernelRecord | null {
  const m = /^(\d+),(\d+),\d+,[^;]*;([^\n]*)/.exec(record)
  return m ? { seq: Number(m[2]), message: m[3]! } : null
}

/** Records of a `cat /dev/kmsg`-style text (as captured from a guest), in order. */
export function parseKmsg(text: string): KernelRecord[] {
  return text.split('\n').flatMap((l) => parseKmsgRecord(l) ?? [])
}

/** An SPL panic after record `afterSeq`: its "PANIC at" line with the assertion before it, or null. */
export function zfsPanic(records: readonly KernelRecord[], afterSeq = -1): string | null {
  const i = records.findIndex((r) => r.seq > afterSeq && /^PANIC at \S+:\d+:\S+\(\)/.test(r.message))
  if (i < 0) return null
  const before = records[i - 1]
  const assertion = before && before.seq > afterSeq && /^(VERIFY|ASSERT)/.test(before.message) ? `${before.message.slice(0, 200)}; ` : ''
  return `${assertion}${records[i]!.message}`
}

export const kernelLog = {
  /** Everything the ring buffer still holds; nothing when it cannot be read (not root). */
  read(path = '/dev/kmsg'): KernelRecord[] {
    let fd: number
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch {
      return []
    }
    const out: KernelRecord[] = []
    const buf = Buffer.alloc(16384)
    try {
      for (let i = 0; i < 200_000; i++) {
        let n: number
        try {
          n = readSync(fd, buf, 0, buf.length, null)
        } catch (err) {
          // EPIPE: a record was overwritten while we read; the next read goes on from the oldest left.
          if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue
          break
        }
        if (n <= 0) break
        const r = parseKmsgRecord(buf.toString('utf8', 0, n))
        if (r) out.push(r)
      }
    } finally {
      closeSync(fd)
    }
    return out
  },

  /** This boot's id: a damage recorded under another one was cleared by the reboot. */
  bootId(): string {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      return 'unknown'
    }
  },
}

export const lastSeq = (records: readonly KernelRecord[]): number => records.at(-1)?.seq ?? -1
