// `zpool`: import listing, import/export, properties, and status (OpenZFS 2.3 JSON for numbers, text for
// the error list). Pool and vdev GUIDs stay decimal strings (they are 64-bit; see tabular.ts).
import { readFileSync } from 'node:fs'
import { assertPoolName } from './names'
import { CommandError, type Runner } from './runner'
import { dashToNull, isUint64, parseColumns } from './tabular'

export const BY_ID_DIR = '/dev/disk/by-id'

// ---------------------------------------------------------------- import listing

export interface ImportablePool {
  name: string
  /** Pool GUID, decimal. Same value as udev's ID_FS_UUID and lsblk's UUID of the member partition. */
  id: string
  state: string
  /** Multi-line fields joined with single spaces; absent when zpool prints none. */
  status?: string
  action?: string
  see?: string
  comment?: string
  /** The `config:` tree, one entry per line: indentation depth (0 = pool), vdev name, state. */
  config: { depth: number; name: string; state: string; detail?: string }[]
}

/**
 * Parses `zpool import -d /dev/disk/by-id` (no pool argument). Each pool is a block of `key: value` lines
 * whose values continue on tab-indented lines, ending in a `config:` tree. "no pools available to import"
 * goes to stderr (exit 0), leaving stdout empty.
 */
export function parseImportListing(stdout: string): ImportablePool[] {
  const pools: ImportablePool[] = []
  let pool: ImportablePool | undefined
  let key: string | undefined
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '')
    const kv = /^\s*([a-z]+): ?(.*)$/.exec(line)
    if (kv && !line.startsWith('\t')) {
      key = kv[1]!
      const value = kv[2]!.trim()
      if (key === 'pool') {
        pool = { name: value, id: '', state: '', config: [] }
        pools.push(pool)
      } else if (pool) {
        if (key === 'id') pool.id = value
        else if (key === 'state') pool.state = value
        else if (key === 'status' || key === 'action' || key === 'see' || key === 'comment') pool[key] = value
      }
      continue
    }
    if (!pool || line.trim() === '') continue
    if (key === 'config') {
      const m = /^\t( *)(\S+)\s+(\S+)\s*(.*)$/.exec(line)
      if (m) {
        const entry: ImportablePool['config'][number] = { depth: m[1]!.length / 2, name: m[2]!, state: m[3]! }
        if (m[4]) entry.detail = m[4]
        pool.config.push(entry)
      }
    } else if (key === 'status' || key === 'action' || key === 'see' || key === 'comment') {
      pool[key] = `${pool[key] ?? ''} ${line.trim()}`.trim()
    }
  }
  for (const p of pools) if (!isUint64(p.id)) throw new Error(`zpool import: pool ${p.name} has no valid id (got "${p.id}")`)
  return pools
}

export function importListingArgv(dir = BY_ID_DIR): string[] {
  return ['zpool', 'import', '-d', dir]
}

export async function listImportable(runner: Runner, dir = BY_ID_DIR): Promise<ImportablePool[]> {
  return parseImportListing((await runner.run(importListingArgv(dir))).stdout)
}

/** Imports by GUID (names can collide, GUIDs don't) without mounting anything (-N): the pool root is
 * readonly, so mounting children under it fails; the app mounts what it needs explicitly. `dir`: where to
 * look for the pool's devices, a directory or the device links themselves. */
export function importByGuidArgv(guid: string, dir: string | readonly string[] = BY_ID_DIR, opts: { readonly?: boolean; altroot?: string; failmode?: 'continue' } = {}): string[] {
  if (!isUint64(guid)) throw new Error(`pool GUID ${JSON.stringify(guid)}: must be a decimal 64-bit number`)
  const dirs = typeof dir === 'string' ? [dir] : [...dir]
  for (const d of dirs) if (!d.startsWith('/dev/') || d.includes('/../') || /[\0\n]/.test(d)) throw new Error(`device ${JSON.stringify(d)}: must be a path under /dev`)
  if (opts.altroot !== undefined && !/^\/[A-Za-z0-9_./-]+$/.test(opts.altroot)) throw new Error(`altroot ${JSON.stringify(opts.altroot)}: must be an absolute plain path`)
  // readonly=on (dry runs, restores): nothing, not even the pool's own metadata, is written.
  // -R (restores): every mountpoint is taken under this directory, whatever the drive says.
  // failmode=continue: a pulled cable returns EIO to the writer instead of suspending every zfs command.
  return ['zpool', 'import', ...dirs.flatMap((d) => ['-d', d]), '-N', ...(opts.failmode ? ['-o', `failmode=${opts.failmode}`] : []), ...(opts.readonly ? ['-o', 'readonly=on'] : []), ...(opts.altroot ? ['-R', opts.altroot] : []), guid]
}

/** Clears a pool's errors and resumes a SUSPENDED pool once its device is back. */
export function clearArgv(pool: string): string[] {
  assertPoolName(pool)
  return ['zpool', 'clear', pool]
}

/** Reopens a pool's vdevs: a replugged disk that ZFS still marks REMOVED comes back ONLINE. */
export function reopenArgv(pool: string): string[] {
  assertPoolName(pool)
  return ['zpool', 'reopen', pool]
}

/** No -f: a busy pool must fail loudly rather than be yanked from under a process. */
export function exportArgv(pool: string): string[] {
  assertPoolName(pool)
  return ['zpool', 'export', pool]
}

/** `cannot unmount '/mnt/backup_pool': pool or dataset is busy` → the mountpoint, to look for holders. */
export function parseBusyExport(stderr: string): { mountpoint: string } | null {
  const m = /cannot unmount '([^']+)': (?:pool or dataset is busy|target is busy)/.exec(stderr)
  return m ? { mountpoint: m[1]! } : null
}

// ---------------------------------------------------------------- properties and list

export interface PoolProperty {
  value: string
  source: string
}

export function poolGetArgv(pool: string, properties: readonly string[] = ['all']): string[] {
  assertPoolName(pool)
  return ['zpool', 'get', '-Hp', '-o', 'name,property,value,source', properties.join(','), pool]
}

/** Parses `zpool get -Hp` (default or name,property,value,source columns) into pool → property → value. */
export function parsePoolGet(stdout: string): Map<string, Record<string, PoolProperty>> {
  const out = new Map<string, Record<string, PoolProperty>>()
  for (const row of parseColumns(stdout, ['name', 'property', 'value', 'source'] as const, 'zpool get')) {
    const props = out.get(row.name) ?? {}
    props[row.property] = { value: row.value, source: row.source }
    out.set(row.name, props)
  }
  return out
}

export function poolSetArgv(pool: string, property: 'failmode', value: 'continue' | 'wait'): string[] {
  assertPoolName(pool)
  return ['zpool', 'set', `${property}=${value}`, pool]
}

export const POOL_LIST_COLUMNS = ['name', 'guid', 'health', 'size', 'allocated', 'free', 'readonly', 'altroot'] as const

export interface PoolListEntry {
  name: string
  guid: string
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, SUSPENDED. */
  health: string
  size: number
  allocated: number
  free: number
  readonly: boolean
  altroot: string | null
}

export function poolListArgv(): string[] {
  return ['zpool', 'list', '-Hp', '-o', POOL_LIST_COLUMNS.join(',')]
}

export function parsePoolList(stdout: string): PoolListEntry[] {
  return parseColumns(stdout, POOL_LIST_COLUMNS, 'zpool list').map((r) => ({
    name: r.name,
    guid: r.guid,
    health: r.health,
    size: Number(r.size),
    allocated: Number(r.allocated),
    free: Number(r.free),
    readonly: r.readonly === 'on',
    altroot: dashToNull(r.altroot),
  }))
}

export async function listPools(runner: Runner): Promise<PoolListEntry[]> {
  return parsePoolList((await runner.run(poolListArgv())).stdout)
}

// ---------------------------------------------------------------- status (JSON)

export interface ScanStats {
  /** 'SCRUB' | 'RESILVER' | 'ERRORSCRUB'. */
  function: string
  /** 'SCANNING' | 'FINISHED' | 'CANCELED' | 'NONE'. */
  state: string
  startTime: number | null
  endTime: number | null
  toExamine: number
  examined: number
  issued: number
  skipped: number
  /** Repaired bytes ('processed' in the JSON). */
  repaired: number
  errors: number
  paused: boolean
}

export interface VdevStatus {
  name: string
  type: string
  guid: string
  state: string
  path: string | null
  readErrors: number
  writeErrors: number
  checksumErrors: number
  children: VdevStatus[]
}

export interface PoolStatus {
  name: string
  guid: string
  state: string
  status: string | null
  action: string | null
  msgid: string | null
  scan: ScanStats | null
  vdevs: VdevStatus[]
  /** Persistent data errors (the number in "errors: N data errors"). */
  errorCount: number
  /** With -v: "Permission denied" when an encrypted dataset's key is not loaded. */
  errorList: string | null
}

/** -p makes sizes and times plain numbers (as strings); without it they are "57.8M" and dates. No
 * --json-int: it would make GUIDs JSON numbers, and >= 2^63 ones come out clamped. */
export function statusJsonArgv(pool: string): string[] {
  assertPoolName(pool)
  return ['zpool', 'status', '-jp', pool]
}

/** Every imported pool's status (to see which pools use a disk). */
export function statusJsonAllArgv(): string[] {
  return ['zpool', 'status', '-jp']
}

type Json = Record<string, unknown>

function num(o: Json, k: string): number {
  const v = o[k]
  if (typeof v === 'number') return v
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  if (v === undefined || v === '-') return 0
  throw new Error(`zpool status -j: ${k}="${String(v)}" is not a plain number (run with -p)`)
}

function str(o: Json, k: string): string | null {
  const v = o[k]
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
}

function parseScan(s: Json): ScanStats {
  const start = num(s, 'start_time')
  const end = num(s, 'end_time')
  return {
    function: str(s, 'function') ?? 'NONE',
    state: str(s, 'state') ?? 'NONE',
    startTime: start || null,
    endTime: end || null,
    toExamine: num(s, 'to_examine'),
    examined: num(s, 'examined'),
    issued: num(s, 'issued'),
    skipped: num(s, 'skipped'),
    repaired: num(s, 'processed'),
    errors: num(s, 'errors'),
    paused: num(s, 'scrub_pause') !== 0,
  }
}

function parseVdev(v: Json): VdevStatus {
  const children = (v.vdevs ?? {}) as Record<string, Json>
  return {
    name: str(v, 'name') ?? '',
    type: str(v, 'vdev_type') ?? '',
    guid: str(v, 'guid') ?? '',
    state: str(v, 'state') ?? '',
    path: str(v, 'path'),
    readErrors: num(v, 'read_errors'),
    writeErrors: num(v, 'write_errors'),
    checksumErrors: num(v, 'checksum_errors'),
    children: Object.values(children).map(parseVdev),
  }
}

/** Parses `zpool status -jp [pool]` (OpenZFS 2.3, output_version 0.1) into one entry per pool. */
export function parseStatusJson(stdout: string): PoolStatus[] {
  const doc = JSON.parse(stdout) as Json
  const pools = (doc.pools ?? {}) as Record<string, Json>
  return Object.values(pools).map((p) => {
    // A JSON number here means --json-int: above 2^53 it has already lost digits, so refuse it.
    const guid = typeof p.pool_guid === 'string' ? p.pool_guid : ''
    if (!isUint64(guid)) throw new Error(`zpool status -j: pool ${String(p.name)} has pool_guid "${guid}" (use no --json-int)`)
    return {
      name: str(p, 'name') ?? '',
      guid,
      state: str(p, 'state') ?? '',
      status: str(p, 'status')?.replace(/\s+/g, ' ').trim() ?? null,
      action: str(p, 'action')?.replace(/\s+/g, ' ').trim() ?? null,
      msgid: str(p, 'msgid'),
      scan: p.scan_stats ? parseScan(p.scan_stats as Json) : null,
      vdevs: Object.values((p.vdevs ?? {}) as Record<string, Json>).map(parseVdev),
      errorCount: num(p, 'error_count'),
      errorList: str(p, 'errlist'),
    }
  })
}

export async function poolStatus(runner: Runner, pool: string): Promise<PoolStatus> {
  const argv = statusJsonArgv(pool)
  const [status] = parseStatusJson((await runner.run(argv)).stdout)
  if (!status) throw new CommandError(argv, 0, `zpool status printed nothing for ${pool}`)
  return status
}

/** Scrub progress as zpool prints it: issued / to_examine, capped at 1. */
export function scanFraction(scan: ScanStats): number {
  if (scan.state === 'FINISHED') return 1
  return scan.toExamine > 0 ? Math.min(1, scan.issued / scan.toExamine) : 0
}

/** Sum of READ/WRITE/CKSUM over every vdev of the tree. */
export function vdevErrorTotals(vdevs: readonly VdevStatus[]): { read: number; write: number; checksum: number } {
  const t = { read: 0, write: 0, checksum: 0 }
  const walk = (v: VdevStatus): void => {
    t.read += v.readErrors
    t.write += v.writeErrors
    t.checksum += v.checksumErrors
    v.children.forEach(walk)
  }
  vdevs.forEach(walk)
  return t
}

export function scrubArgv(pool: string): string[] {
  assertPoolName(pool)
  return ['zpool', 'scrub', pool]
}

// ---------------------------------------------------------------- status -v (text errors section)

export type ErrorsSection =
  | { kind: 'none' }
  | { kind: 'count'; count: number }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'files'; files: { dataset: string; snapshot: string | null; path: string }[] }
  | { kind: 'unknown'; text: string }

export function statusVerboseArgv(pool: string): string[] {
  assertPoolName(pool)
  return ['zpool', 'status', '-v', pool]
}

/**
 * Reads the `errors:` section of `zpool status [-v]`. Pass stdout and stderr together: with a key not
 * loaded, "errors: List of errors unavailable: permission denied" goes to stderr, and the exit code is 0.
 */
export function parseStatusErrors(output: string): ErrorsSection {
  const lines = output.split('\n').map((l) => l.replace(/\r$/, ''))
  const i = lines.findIndex((l) => l.startsWith('errors: '))
  if (i < 0) return { kind: 'unknown', text: '' }
  const head = lines[i]!.slice('errors: '.length).trim()
  if (head === 'No known data errors') return { kind: 'none' }
  let m = /^(\d+) data errors?, use '-v' for a list$/.exec(head)
  if (m) return { kind: 'count', count: Number(m[1]) }
  m = /^List of errors unavailable: (.*)$/.exec(head)
  if (m) return { kind: 'unavailable', reason: m[1]! }
  if (/^Permanent errors have been detected/.test(head)) {
    const files: { dataset: string; snapshot: string | null; path: string }[] = []
    for (const l of lines.slice(i + 1)) {
      if (!/^\s+\S/.test(l)) continue
      const entry = l.trim()
      // A file of a mounted dataset is printed as its full path (under the restore's altroot, say).
      if (entry.startsWith('/')) {
        files.push({ dataset: '', snapshot: null, path: entry })
        continue
      }
      // `ds@snap:/path`, `ds:/path`, or `<metadata>:<0x0>` / `ds:<0x1f>` when the object has no path.
      const colon = entry.indexOf(':/') >= 0 ? entry.indexOf(':/') : entry.indexOf(':<')
      const where = colon >= 0 ? entry.slice(0, colon) : entry
      const path = colon >= 0 ? entry.slice(colon + 1) : ''
      const at = where.indexOf('@')
      files.push({ dataset: at >= 0 ? where.slice(0, at) : where, snapshot: at >= 0 ? where.slice(at + 1) : null, path })
    }
    return { kind: 'files', files }
  }
  return { kind: 'unknown', text: head }
}

export async function statusErrors(runner: Runner, pool: string): Promise<ErrorsSection> {
  const r = await runner.run(statusVerboseArgv(pool))
  return parseStatusErrors(`${r.stdout}\n${r.stderr}`)
}

// ---------------------------------------------------------------- versions

export interface ZfsVersion {
  /** Userland, e.g. '2.3.2' (from `zfs-2.3.2-2~bpo12+2`). */
  userland: string | null
  /** Kernel module, e.g. '2.3.2'. Differs from userland after an upgrade without reboot. */
  kernel: string | null
  raw: string
}

/** `zfs version` / `zpool version`: `zfs-2.3.2-2~bpo12+2` then `zfs-kmod-2.3.2-2~bpo12+2`. */
export function parseZfsVersion(stdout: string): ZfsVersion {
  const user = /^zfs-(\d+\.\d+\.\d+)/m.exec(stdout)
  const kmod = /^zfs-kmod-(\d+\.\d+\.\d+)/m.exec(stdout)
  return { userland: user ? user[1]! : null, kernel: kmod ? kmod[1]! : null, raw: stdout.trim() }
}

/** `/sys/module/zfs/version` holds the loaded module's version (e.g. `2.3.2-2~bpo12+2`): no process needed. */
export const KERNEL_MODULE_VERSION_PATH = '/sys/module/zfs/version'

export function parseKernelModuleVersion(text: string): string | null {
  const m = /^(\d+\.\d+\.\d+)/.exec(text.trim())
  return m ? m[1]! : null
}

/** The loaded ZFS kernel module's version, or null when the module is not loaded. */
export function kernelModuleVersion(path = KERNEL_MODULE_VERSION_PATH): string | null {
  try {
    return parseKernelModuleVersion(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

/** The version that sends: the loaded kernel module's (tools only when no module is loaded). */
export function runningZfsVersion(v: ZfsVersion): string | null {
  return v.kernel ?? v.userland
}

/** The #12014 raw-send corruption fix landed in 2.2.8 and 2.3.3. */
export function zfsHasRawSendFix(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number)
  if (major !== 2) return major > 2
  if (minor === 2) return patch >= 8
  if (minor === 3) return patch >= 3
  return minor > 3
}

export function zfsVersionArgv(): string[] {
  return ['zfs', 'version']
}

export async function zfsVersion(runner: Runner): Promise<ZfsVersion> {
  return parseZfsVersion((await runner.run(zfsVersionArgv())).stdout)
}
