// udisksctl: powering the drive off after export (the guide's last step), so it can be unplugged. As root
// this just works; a desktop user goes through polkit (org.freedesktop.udisks2.power-off-drive*).
import { assertByIdPath } from './names'
import type { Runner } from './runner'

/** Takes the whole-disk by-id link (a partition link works too: udisks powers off its drive). */
export function powerOffArgv(byIdPath: string): string[] {
  assertByIdPath(byIdPath)
  return ['udisksctl', 'power-off', '-b', byIdPath]
}

export async function powerOff(runner: Runner, byIdPath: string): Promise<void> {
  await runner.run(powerOffArgv(byIdPath))
}

/** interface name → property → value; list values (Symlinks) continue on indented lines and become arrays. */
export type UdisksInfo = Record<string, Record<string, string | string[]>>

/**
 * Parses `udisksctl info -b DEV`: an object path line, then `  org.freedesktop.UDisks2.X:` interface
 * headers (2 spaces) and `    Key:   value` properties (4 spaces); a line of only deeper indentation
 * continues the previous property's list.
 */
export function parseUdisksInfo(stdout: string): UdisksInfo {
  const out: UdisksInfo = {}
  let iface: Record<string, string | string[]> | undefined
  let lastKey: string | undefined
  for (const line of stdout.split('\n')) {
    const ifaceMatch = /^ {2}(org\.freedesktop\.UDisks2\.\w+):\s*$/.exec(line)
    if (ifaceMatch) {
      iface = out[ifaceMatch[1]!.replace('org.freedesktop.UDisks2.', '')] = {}
      continue
    }
    if (!iface) continue
    const prop = /^ {4}(\w+):\s*(.*)$/.exec(line)
    if (prop) {
      lastKey = prop[1]!
      iface[lastKey] = prop[2]!.trim()
      continue
    }
    const more = /^ {5,}(\S.*)$/.exec(line)
    if (more && lastKey) {
      const prev = iface[lastKey]
      iface[lastKey] = [...(Array.isArray(prev) ? prev : prev ? [prev] : []), more[1]!.trim()]
    }
  }
  return out
}
