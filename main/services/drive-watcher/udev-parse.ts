// Parsers for udevadm's two text formats. Both carry the same udev properties (KEY=VALUE), which for a
// ZFS partition include ID_FS_TYPE=zfs_member, ID_FS_UUID=<pool GUID, decimal> and ID_FS_LABEL=<pool>.
import { isUint64 } from '../../system/tabular'
import type { ZfsMember } from './types'

export type UdevProperties = Record<string, string>

/** `udevadm info --export-db`: blank-line separated records; properties on `E: KEY=VALUE` lines. */
export function parseExportDb(text: string): UdevProperties[] {
  const out: UdevProperties[] = []
  for (const record of text.split(/\n\s*\n/)) {
    const props: UdevProperties = {}
    for (const line of record.split('\n')) {
      if (!line.startsWith('E: ')) continue
      const eq = line.indexOf('=')
      if (eq > 3) props[line.slice(3, eq)] = line.slice(eq + 1)
    }
    if (Object.keys(props).length) out.push(props)
  }
  return out
}

/**
 * `udevadm monitor --udev --property`, fed line by line: a "UDEV  [ts] action devpath (subsystem)" header,
 * KEY=VALUE lines, then a blank line. Calls `onEvent` per complete event; `onReady` once udevadm printed
 * that its netlink socket listens (the "UDEV - the event which udev sends out…" banner).
 */
export class MonitorParser {
  private current: UdevProperties | undefined

  constructor(
    private readonly onEvent: (props: UdevProperties) => void,
    private readonly onReady: () => void = () => undefined,
  ) {}

  line(line: string): void {
    if (line.startsWith('UDEV - ')) return this.onReady()
    if (/^UDEV\s+\[/.test(line)) {
      this.flush()
      this.current = {}
      return
    }
    if (line.trim() === '') return this.flush()
    const eq = line.indexOf('=')
    if (this.current && eq > 0) this.current[line.slice(0, eq)] = line.slice(eq + 1)
  }

  flush(): void {
    if (this.current && Object.keys(this.current).length) this.onEvent(this.current)
    this.current = undefined
  }
}

/** The pool member a block device carries, or undefined. */
export function memberFromUdev(p: UdevProperties): ZfsMember | undefined {
  if (p.SUBSYSTEM !== undefined && p.SUBSYSTEM !== 'block') return undefined
  if (p.ID_FS_TYPE !== 'zfs_member' || !p.ID_FS_UUID || !isUint64(p.ID_FS_UUID) || !p.DEVNAME || !p.DEVPATH) return undefined
  return { key: p.DEVPATH, device: p.DEVNAME, poolGuid: p.ID_FS_UUID, pool: p.ID_FS_LABEL ?? '' }
}
