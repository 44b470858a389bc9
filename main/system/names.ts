// Validation of OpenZFS names before they reach a root command. The rules mirror OpenZFS 2.3's
// module/zcommon/zfs_namecheck.c (kernel) plus libzfs' zpool_name_valid (userland, create/import), so a
// name we accept is one zfs would accept and vice versa; where we are stricter it is said below.
// Everything travels as argv, so shell metacharacters are harmless; still, `;`, `$` or `'` are simply not
// legal in ZFS names, and a name can never start with `-` (pool names start with a letter), so no name can
// be read as an option.
import { z } from 'zod'

/** ZFS_MAX_DATASET_NAME_LEN is 256 including the NUL. */
export const MAX_NAME_LENGTH = 255
/** pool_namecheck leaves room for "pool/$ORIGIN@$ORIGIN": 256 - 2 - 2 * strlen("$ORIGIN") - 1. */
export const MAX_POOL_NAME_LENGTH = 239

const VALID_CHAR = /^[A-Za-z0-9_\-.: ]$/

export type NameRule = string

function badChar(s: string): string | undefined {
  for (const c of s) if (!VALID_CHAR.test(c)) return c
  return undefined
}

function describeChar(c: string): string {
  if (c === '%') return `'%' is not allowed (OpenZFS reserves it for temporary receive clones)`
  if (c === '#') return `'#' is not allowed (it marks a bookmark)`
  const code = c.codePointAt(0) ?? 0
  const shown = code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c
  return `character '${shown}' is not allowed (only letters, digits, '_', '-', '.', ':' and space)`
}

/** One path component of a dataset, or the part after '@'. */
function componentRule(component: string): NameRule | undefined {
  if (component === '') return 'must not contain an empty component (no "//", leading or trailing "/")'
  if (component === '.' || component === '..') return `must not contain a '${component}' component`
  const c = badChar(component)
  return c === undefined ? undefined : describeChar(c)
}

/** Why `name` is not a valid pool name, or undefined. Includes the reserved names checked at create/import. */
export function poolNameRule(name: string): NameRule | undefined {
  if (name === '') return 'must not be empty'
  if (name.startsWith('-')) return `must not start with '-' (it would read as an option)`
  if (name.length > MAX_POOL_NAME_LENGTH) return `must be at most ${MAX_POOL_NAME_LENGTH} characters`
  const c = badChar(name)
  if (c !== undefined) return describeChar(c)
  if (!/^[A-Za-z]/.test(name)) return 'must begin with a letter'
  if (/^(mirror|raidz|draid|spare)/.test(name) || name === 'log') {
    return `is reserved (names starting with mirror, raidz, draid or spare, and "log", name vdev types)`
  }
  return undefined
}

/** The kernel's rules for the pool part of an existing dataset's name (no userland-only reserved prefixes). */
function poolComponentRule(pool: string): NameRule | undefined {
  const c = componentRule(pool)
  if (c) return c
  if (!/^[A-Za-z]/.test(pool)) return 'must begin with a letter (the pool name)'
  if (pool === 'mirror' || pool === 'raidz' || pool === 'draid') return `pool name "${pool}" is reserved`
  return undefined
}

function entityRule(name: string): NameRule | undefined {
  if (name === '') return 'must not be empty'
  if (name.startsWith('-')) return `must not start with '-' (it would read as an option)`
  if (name.startsWith('/')) return `must not start with '/' (a dataset name, not a mountpoint)`
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`
  return undefined
}

/** Why `name` is not a valid filesystem/volume name (`pool/a/b`, no '@'), or undefined. */
export function datasetNameRule(name: string): NameRule | undefined {
  const e = entityRule(name)
  if (e) return e
  if (name.includes('@')) return `must be a dataset, not a snapshot (no '@')`
  const [pool, ...rest] = name.split('/')
  return poolComponentRule(pool ?? '') ?? rest.map(componentRule).find((r) => r !== undefined)
}

/** Why `name` is not a valid full snapshot name (`pool/ds@snap`), or undefined. */
export function snapshotNameRule(name: string): NameRule | undefined {
  const e = entityRule(name)
  if (e) return e
  const at = name.indexOf('@')
  if (at < 0) return `must be a snapshot "dataset@name" (no '@' found)`
  if (name.indexOf('@', at + 1) >= 0) return `must contain only one '@'`
  const ds = datasetNameRule(name.slice(0, at))
  if (ds) return ds
  const snap = name.slice(at + 1)
  if (snap.includes('/')) return `must not contain '/' after '@'`
  if (snap === '') return `must have a snapshot name after '@'`
  return componentRule(snap)
}

/** Why `name` is not a valid full bookmark name (`pool/ds#mark`), or undefined. */
export function bookmarkNameRule(name: string): NameRule | undefined {
  const e = entityRule(name)
  if (e) return e
  const hash = name.indexOf('#')
  if (hash < 0) return `must be a bookmark "dataset#name" (no '#' found)`
  const ds = datasetNameRule(name.slice(0, hash))
  if (ds) return ds
  const mark = name.slice(hash + 1)
  if (mark === '') return `must have a bookmark name after '#'`
  if (mark.includes('#') || mark.includes('/') || mark.includes('@')) return `must not contain '#', '/' or '@' after '#'`
  return componentRule(mark)
}

const BY_ID = '/dev/disk/by-id/'

/** Why `path` is not a /dev/disk/by-id link path we are willing to hand to root tools, or undefined. */
export function byIdPathRule(path: string): NameRule | undefined {
  if (!path.startsWith(BY_ID)) return `must start with ${BY_ID}`
  const name = path.slice(BY_ID.length)
  if (name === '') return 'must name a device after /dev/disk/by-id/'
  if (name.includes('/')) return 'must be a link directly inside /dev/disk/by-id/'
  if (name.includes('..')) return `must not contain '..'`
  if (name.startsWith('-')) return `must not start with '-'`
  // udev escapes anything unusual as \xNN, so control characters (NUL included) never appear in real links.
  if ([...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\x7f')) return 'must not contain control characters'
  if (name.length > 255) return 'must be at most 255 characters after /dev/disk/by-id/'
  return undefined
}

/** zod type-error message: a missing field reads "is required", a wrong type names what is expected. */
export function typeError(expected: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'is required' : `must be ${expected}`)
}

function schemaFrom(rule: (s: string) => NameRule | undefined, expected: string) {
  return z.string({ error: typeError(expected) }).superRefine((value, ctx) => {
    const why = rule(value)
    if (why) ctx.addIssue({ code: 'custom', message: why })
  })
}

export const poolNameSchema = schemaFrom(poolNameRule, 'a pool name')
export const datasetNameSchema = schemaFrom(datasetNameRule, 'a dataset name')
export const snapshotNameSchema = schemaFrom(snapshotNameRule, 'a snapshot name')
export const byIdPathSchema = schemaFrom(byIdPathRule, 'a /dev/disk/by-id/ path')

export class InvalidNameError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    readonly rule: string,
  ) {
    super(`${field} ${JSON.stringify(value)}: ${rule}`)
    this.name = 'InvalidNameError'
  }
}

function asserter(rule: (s: string) => NameRule | undefined, defaultField: string) {
  return (value: string, field = defaultField): string => {
    const why = rule(value)
    if (why) throw new InvalidNameError(field, value, why)
    return value
  }
}

/** Throw InvalidNameError (naming the field and the rule) unless the value is valid; return it otherwise. */
export const assertPoolName = asserter(poolNameRule, 'pool name')
export const assertDatasetName = asserter(datasetNameRule, 'dataset name')
export const assertSnapshotName = asserter(snapshotNameRule, 'snapshot name')
export const assertByIdPath = asserter(byIdPathRule, 'disk path')
export const assertBookmarkName = asserter(bookmarkNameRule, 'bookmark name')

/** A dataset's pool is its first component. */
export function poolOf(dataset: string): string {
  return dataset.split(/[/@]/)[0] ?? ''
}
