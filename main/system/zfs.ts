// `zfs`: snapshot listings, dataset properties, and the argv of every zfs command the app runs.
// GUIDs and txgs stay decimal strings: GUIDs are 64-bit (half of them are >= 2^63), and `zfs list -j
// --json-int` clamps those to 9223372036854775807, so only the -Hp text form is trustworthy.
import { assertDatasetName, assertSnapshotName } from './names'
import type { Runner } from './runner'
import { CommandError } from './runner'
import { compareDecimal, dashToNull, parseColumns, parseTabular } from './tabular'

/** A snapshot as the replication listing gives it: no `creation`, so zfs need not open each one. */
export interface ListedSnapshot {
  /** Full name, `pool/ds@snap`. */
  name: string
  dataset: string
  snapshot: string
  /** Decimal string; the identity syncoid and zfs receive use to match snapshots across pools. */
  guid: string
  /** Decimal string; orders snapshots exactly (creation has one-second resolution). */
  createtxg: string
}

export interface SnapshotInfo extends ListedSnapshot {
  /** Seconds since the epoch. */
  creation: number
}

/** `pool/ds#mark`: keeps a snapshot's guid and txg after the snapshot is gone, as an incremental base. */
export interface BookmarkInfo {
  name: string
  dataset: string
  bookmark: string
  guid: string
  createtxg: string
}

const SNAPSHOT_COLUMNS = ['name', 'guid', 'createtxg', 'creation'] as const

export function listSnapshotsArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'list', '-Hp', '-t', 'snapshot', '-o', SNAPSHOT_COLUMNS.join(','), '-d', '1', dataset]
}

/** Parses `zfs list -Hp -t snapshot -o name,guid,createtxg,creation`, oldest first (by createtxg). */
export function parseSnapshotList(stdout: string): SnapshotInfo[] {
  return parseColumns(stdout, SNAPSHOT_COLUMNS, 'zfs list -t snapshot')
    .map((row) => {
      const at = row.name.indexOf('@')
      if (at < 0) throw new Error(`zfs list -t snapshot: "${row.name}" is not a snapshot`)
      if (!/^\d+$/.test(row.guid) || !/^\d+$/.test(row.createtxg) || !/^\d+$/.test(row.creation)) {
        throw new Error(`zfs list -t snapshot: non-numeric guid/createtxg/creation for ${row.name} (was -p missing?)`)
      }
      return {
        name: row.name,
        dataset: row.name.slice(0, at),
        snapshot: row.name.slice(at + 1),
        guid: row.guid,
        createtxg: row.createtxg,
        creation: Number(row.creation),
      }
    })
    .sort((a, b) => compareDecimal(a.createtxg, b.createtxg))
}

export async function listSnapshots(runner: Runner, dataset: string): Promise<SnapshotInfo[]> {
  return parseSnapshotList((await runner.run(listSnapshotsArgv(dataset))).stdout)
}

/** What one listing says about a dataset: its snapshots and bookmarks (oldest first), or that it is missing. */
export interface DatasetListing {
  exists: boolean
  snapshots: ListedSnapshot[]
  bookmarks: BookmarkInfo[]
}

const REPLICATION_COLUMNS = ['name', 'guid', 'createtxg'] as const

/**
 * One `zfs list` for several datasets (a source and its target): only name, guid and createtxg, which
 * OpenZFS >= 2.2 lists without opening each snapshot (openzfs/zfs#14110); `creation` would open them all.
 */
export function listReplicationArgv(datasets: readonly string[]): string[] {
  if (datasets.length === 0) throw new Error('zfs list: no dataset given')
  for (const d of datasets) assertDatasetName(d)
  return ['zfs', 'list', '-Hp', '-t', 'snapshot,bookmark', '-o', REPLICATION_COLUMNS.join(','), '-d', '1', ...datasets]
}

/** `cannot open 'backup/x': dataset does not exist` lines of a listing of several datasets. */
export function missingDatasets(stderr: string): string[] {
  return [...stderr.matchAll(/^cannot open '([^']+)': dataset does not exist$/gm)].map((m) => m[1]!)
}

/** Parses listReplicationArgv's output into one DatasetListing per asked dataset. */
export function parseReplicationListing(stdout: string, datasets: readonly string[], missing: readonly string[] = []): Map<string, DatasetListing> {
  const out = new Map<string, DatasetListing>(datasets.map((d) => [d, { exists: !missing.includes(d), snapshots: [], bookmarks: [] }]))
  for (const row of parseColumns(stdout, REPLICATION_COLUMNS, 'zfs list -t snapshot,bookmark')) {
    const m = /^([^@#]+)([@#])([^@#]+)$/.exec(row.name)
    if (!m) throw new Error(`zfs list -t snapshot,bookmark: "${row.name}" is neither a snapshot nor a bookmark`)
    if (!/^\d+$/.test(row.guid) || !/^\d+$/.test(row.createtxg)) throw new Error(`zfs list: non-numeric guid/createtxg for ${row.name} (was -p missing?)`)
    const listing = out.get(m[1]!)
    if (!listing) throw new Error(`zfs list: ${row.name} belongs to none of ${datasets.join(', ')}`)
    const base = { name: row.name, dataset: m[1]!, guid: row.guid, createtxg: row.createtxg }
    if (m[2] === '@') listing.snapshots.push({ ...base, snapshot: m[3]! })
    else listing.bookmarks.push({ ...base, bookmark: m[3]! })
  }
  for (const l of out.values()) {
    l.snapshots.sort((a, b) => compareDecimal(a.createtxg, b.createtxg))
    l.bookmarks.sort((a, b) => compareDecimal(a.createtxg, b.createtxg))
  }
  return out
}

/** Lists every dataset in one command; a dataset that does not exist is reported as such, not as an error. */
export async function listForReplication(runner: Runner, datasets: readonly string[]): Promise<Map<string, DatasetListing>> {
  const argv = listReplicationArgv(datasets)
  const r = await runner.run(argv, { allowFailure: true })
  const missing = missingDatasets(r.stderr)
  const unexplained = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/dataset does not exist$/.test(l))
  if (r.exitCode !== 0 && (missing.length === 0 || unexplained.length > 0)) throw new CommandError(argv, r.exitCode, r.stderr)
  return parseReplicationListing(r.stdout, datasets, missing)
}

const FILESYSTEM_COLUMNS = ['name', 'encryption', 'encryptionroot'] as const

/** Every filesystem on the system with its encryption, for choosing what to back up. */
export function listFilesystemsArgv(): string[] {
  return ['zfs', 'list', '-Hp', '-t', 'filesystem', '-o', FILESYSTEM_COLUMNS.join(',')]
}

export interface FilesystemInfo {
  name: string
  /** 'off' for a plain dataset, else the cipher ('aes-256-gcm'). */
  encryption: string
  /** null for a plain dataset. */
  encryptionRoot: string | null
}

export function parseFilesystemList(stdout: string): FilesystemInfo[] {
  return parseColumns(stdout, FILESYSTEM_COLUMNS, 'zfs list -t filesystem').map((r) => ({ name: r.name, encryption: r.encryption, encryptionRoot: dashToNull(r.encryptionroot) }))
}

/** Every snapshot's name on the system (to count them per dataset). */
export function listAllSnapshotsArgv(): string[] {
  return ['zfs', 'list', '-Hp', '-t', 'snapshot', '-o', 'name']
}

/** Snapshot counts per dataset from `zfs list -Hp -t snapshot -o name`. */
export function countSnapshots(stdout: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const [name] of parseTabular(stdout)) {
    const ds = name?.split('@')[0]
    if (ds) counts.set(ds, (counts.get(ds) ?? 0) + 1)
  }
  return counts
}

/** The properties the app reads about a source or target dataset. */
export const DATASET_PROPERTIES = [
  'encryption',
  'keystatus',
  'keylocation',
  'encryptionroot',
  'readonly',
  'snapdir',
  'mountpoint',
  'canmount',
  'mounted',
  'receive_resume_token',
] as const
export type DatasetProperty = (typeof DATASET_PROPERTIES)[number]

export interface PropertyValue {
  value: string
  /** 'local', 'default', 'received', 'inherited from backup', '-' (read-only/none) ... */
  source: string
}

export interface DatasetProperties {
  name: string
  /** 'off' or the cipher, e.g. 'aes-256-gcm'. */
  encryption: string
  encrypted: boolean
  /** null on unencrypted datasets (zfs prints '-'). */
  keystatus: 'available' | 'unavailable' | null
  /** 'prompt', 'file:///…', or null when unencrypted. A raw-received target gets 'prompt'. */
  keylocation: string | null
  encryptionroot: string | null
  readonly: boolean
  snapdir: string
  /** A path, 'none' or 'legacy'. */
  mountpoint: string
  canmount: 'on' | 'off' | 'noauto'
  mounted: boolean
  /** Set when a `zfs receive -s` was interrupted; the next send can resume from it. */
  receiveResumeToken: string | null
  /** Every row as printed, for properties not modelled above and for sources. */
  raw: Record<string, PropertyValue>
}

export function getPropertiesArgv(dataset: string | readonly string[], properties: readonly string[] = DATASET_PROPERTIES): string[] {
  const datasets = typeof dataset === 'string' ? [dataset] : dataset
  if (datasets.length === 0) throw new Error('zfs get: no dataset given')
  for (const d of datasets) {
    if (d.includes('@')) assertSnapshotName(d)
    else assertDatasetName(d)
  }
  for (const p of properties) if (!/^[a-z][a-z0-9_:.-]*$/.test(p)) throw new Error(`property name ${JSON.stringify(p)} is not valid`)
  return ['zfs', 'get', '-Hp', '-o', 'name,property,value,source', properties.join(','), ...datasets]
}

/** Groups `zfs get -Hp -o name,property,value,source` rows by dataset. */
export function parsePropertyRows(stdout: string): Map<string, Record<string, PropertyValue>> {
  const byName = new Map<string, Record<string, PropertyValue>>()
  for (const row of parseColumns(stdout, ['name', 'property', 'value', 'source'] as const, 'zfs get')) {
    const props = byName.get(row.name) ?? {}
    props[row.property] = { value: row.value, source: row.source }
    byName.set(row.name, props)
  }
  return byName
}

function onOff(raw: Record<string, PropertyValue>, prop: string): boolean {
  const v = raw[prop]?.value
  if (v === 'on' || v === 'yes') return true
  if (v === 'off' || v === 'no' || v === undefined || v === '-') return false
  throw new Error(`zfs get: unexpected ${prop}=${v}`)
}

/** Parses the rows of one dataset from `zfs get -Hp -o name,property,value,source <DATASET_PROPERTIES>`. */
export function parseDatasetProperties(stdout: string, dataset?: string): DatasetProperties {
  const all = parsePropertyRows(stdout)
  const name = dataset ?? [...all.keys()][0]
  const raw = name === undefined ? undefined : all.get(name)
  if (name === undefined || raw === undefined) throw new Error(`zfs get: no properties for ${dataset ?? 'any dataset'}`)
  const value = (p: string): string | null => dashToNull(raw[p]?.value)
  const encryption = value('encryption') ?? 'off'
  const keystatus = value('keystatus')
  const canmount = value('canmount') ?? 'on'
  if (keystatus !== null && keystatus !== 'available' && keystatus !== 'unavailable') throw new Error(`zfs get: unexpected keystatus=${keystatus}`)
  if (canmount !== 'on' && canmount !== 'off' && canmount !== 'noauto') throw new Error(`zfs get: unexpected canmount=${canmount}`)
  return {
    name,
    encryption,
    encrypted: encryption !== 'off',
    keystatus,
    keylocation: value('keylocation') === 'none' ? null : value('keylocation'),
    encryptionroot: value('encryptionroot'),
    readonly: onOff(raw, 'readonly'),
    snapdir: value('snapdir') ?? 'hidden',
    mountpoint: value('mountpoint') ?? 'none',
    canmount,
    mounted: onOff(raw, 'mounted'),
    receiveResumeToken: value('receive_resume_token'),
    raw,
  }
}

export async function getDatasetProperties(runner: Runner, dataset: string): Promise<DatasetProperties> {
  return parseDatasetProperties((await runner.run(getPropertiesArgv(dataset))).stdout, dataset)
}

/**
 * One `zfs get` for several datasets (or snapshots). Those that do not exist are left out of the map
 * instead of failing the command.
 */
export async function getManyProperties(runner: Runner, datasets: readonly string[], properties: readonly string[] = DATASET_PROPERTIES): Promise<Map<string, DatasetProperties>> {
  const argv = getPropertiesArgv(datasets, properties)
  const r = await runner.run(argv, { allowFailure: true })
  const unexplained = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/dataset does not exist$/.test(l))
  if (r.exitCode !== 0 && (missingDatasets(r.stderr).length === 0 || unexplained.length > 0)) throw new CommandError(argv, r.exitCode, r.stderr)
  const out = new Map<string, DatasetProperties>()
  for (const name of parsePropertyRows(r.stdout).keys()) out.set(name, parseDatasetProperties(r.stdout, name))
  return out
}

export function datasetExistsArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'list', '-H', '-o', 'name', dataset]
}

/** zfs says "cannot open 'x': dataset does not exist" (exit 1); any other failure is a real error. */
export function isDatasetMissing(stderr: string): boolean {
  return /dataset does not exist/.test(stderr)
}

export async function datasetExists(runner: Runner, dataset: string): Promise<boolean> {
  const argv = datasetExistsArgv(dataset)
  const r = await runner.run(argv, { allowFailure: true })
  if (r.exitCode === 0) return true
  if (isDatasetMissing(r.stderr)) return false
  throw new CommandError(argv, r.exitCode, r.stderr)
}

/** Destroys exactly one snapshot. Refuses datasets, ranges (`a%b`) and lists (`a,b`) by construction. */
export function destroySnapshotArgv(snapshot: string): string[] {
  assertSnapshotName(snapshot)
  return ['zfs', 'destroy', snapshot]
}

/** The longest single argument Linux accepts is 128 KiB (MAX_ARG_STRLEN); stay well below it. */
const MAX_DESTROY_ARG = 64 * 1024

/**
 * `zfs destroy DS@a,b,c`: several snapshots of one dataset in one command (one txg sync instead of one
 * each), split into as few commands as the argument length allows. Ranges (`a%b`) are refused.
 */
export function destroySnapshotsArgv(dataset: string, snapshots: readonly string[]): string[][] {
  assertDatasetName(dataset)
  const batches: string[][] = []
  let batch: string[] = []
  let length = dataset.length + 1
  for (const snap of snapshots) {
    // A valid name holds neither ',' nor '%', so no name can widen the list or make it a range.
    assertSnapshotName(`${dataset}@${snap}`)
    if (batch.length > 0 && length + snap.length + 1 > MAX_DESTROY_ARG) {
      batches.push(batch)
      batch = []
      length = dataset.length + 1
    }
    batch.push(snap)
    length += snap.length + 1
  }
  if (batch.length) batches.push(batch)
  return batches.map((b) => ['zfs', 'destroy', `${dataset}@${b.join(',')}`])
}

/** zfs load-key's answer to a wrong passphrase. */
export function isWrongPassphrase(stderr: string): boolean {
  return /Incorrect key provided|incorrect key|Invalid passphrase/i.test(stderr)
}

/** The passphrase goes to stdin (RunOptions.input); `-L prompt` makes zfs read it there even when the
 * dataset's keylocation is a file, and a raw-received target has keylocation=prompt anyway. */
export function loadKeyArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'load-key', '-L', 'prompt', dataset]
}

export async function loadKey(runner: Runner, dataset: string, passphrase: string): Promise<void> {
  // zfs reads the passphrase up to the first newline; a trailing one would otherwise become part of it.
  await runner.run(loadKeyArgv(dataset), { input: passphrase.replace(/\n$/, '') })
}

export function unloadKeyArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'unload-key', dataset]
}

/** Temporary mount options (`-o`), e.g. the restore's ro,nosuid,nodev,noexec: they override the
 * dataset's own setuid/devices/exec properties, which a tampered drive could have set. */
export function mountArgv(dataset: string, options: readonly ('ro' | 'nosuid' | 'nodev' | 'noexec')[] = []): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'mount', ...(options.length ? ['-o', options.join(',')] : []), dataset]
}

export function unmountArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'unmount', dataset]
}

/** `zfs set a=b c=d DS`: several properties in one command (OpenZFS >= 0.8 sets them atomically). */
export function setArgv(dataset: string, properties: Record<string, string>): string[] {
  assertDatasetName(dataset)
  const pairs = Object.entries(properties)
  if (pairs.length === 0) throw new Error('zfs set: no properties given')
  for (const [k, v] of pairs) {
    if (!/^[a-z][a-z0-9_:.-]*$/.test(k)) throw new Error(`zfs set: property name ${JSON.stringify(k)} is not valid`)
    if (/[\0\n]/.test(v)) throw new Error(`zfs set: value of ${k} must not contain NUL or newline`)
  }
  return ['zfs', 'set', ...pairs.map(([k, v]) => `${k}=${v}`), dataset]
}

/** Abandons a partial `zfs receive -s` state (the resume token) on `dataset`. */
export function receiveAbortArgv(dataset: string): string[] {
  assertDatasetName(dataset)
  return ['zfs', 'receive', '-A', dataset]
}

/** `zfs diff -H snap [snap|dataset]`; both must be mounted (the key loaded) for zfs to walk them. */
export function diffArgv(from: string, to: string): string[] {
  assertSnapshotName(from, 'diff from')
  if (to.includes('@')) assertSnapshotName(to, 'diff to')
  else assertDatasetName(to, 'diff to')
  return ['zfs', 'diff', '-H', from, to]
}

export type DiffChange = '+' | '-' | 'M' | 'R'
export interface DiffEntry {
  change: DiffChange
  path: string
  /** Only for renames. */
  newPath?: string
}

/** zfs diff escapes unusual bytes in paths as \NNNN (four octal digits: a space is \0040, a newline \0012). */
function unescapeDiffPath(p: string): string {
  const bytes: number[] = []
  for (let i = 0; i < p.length; i++) {
    const m = /^\\([0-7]{4}|[0-7]{3})/.exec(p.slice(i))
    if (m) {
      bytes.push(parseInt(m[1]!, 8))
      i += m[1]!.length
    } else {
      bytes.push(...Buffer.from(p[i]!, 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

export function parseDiff(stdout: string): DiffEntry[] {
  return parseTabular(stdout).map((f) => {
    const change = f[0] as DiffChange
    if (!['+', '-', 'M', 'R'].includes(change) || f[1] === undefined) throw new Error(`zfs diff: unexpected line ${f.join('\t')}`)
    const entry: DiffEntry = { change, path: unescapeDiffPath(f[1]) }
    if (change === 'R' && f[2] !== undefined) entry.newPath = unescapeDiffPath(f[2])
    return entry
  })
}

/** Why a zfs diff failed: without the delegated "diff" permission zfs says "permission denied". */
export class ZfsDiffError extends CommandError {
  readonly reason: 'no-permission' | 'failed'
  constructor(argv: readonly string[], exitCode: number | null, stderr: string) {
    super(argv, exitCode, stderr)
    this.reason = /permission denied|must be root|permission/i.test(stderr) ? 'no-permission' : 'failed'
  }
}

/** What changed from one snapshot to another (or to the live dataset). Throws ZfsDiffError. */
export async function diffSnapshots(runner: Runner, from: string, to: string, timeoutMs?: number): Promise<DiffEntry[]> {
  const argv = diffArgv(from, to)
  const r = await runner.run(argv, { allowFailure: true, ...(timeoutMs ? { timeoutMs } : {}) })
  if (r.exitCode !== 0) throw new ZfsDiffError(argv, r.exitCode, r.stderr)
  return parseDiff(r.stdout)
}
