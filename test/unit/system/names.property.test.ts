// Property-based: name validation agrees with ZFS's own rules (a model written from OpenZFS 2.3's
// zfs_namecheck.c: entity_namecheck / pool_namecheck / snapshot rules), on random names built from legal
// characters and hostile ones (shell metacharacters, newlines, NUL, '%', '#', '@', '/', '-', unicode).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { datasetNameRule, poolNameRule, snapshotNameRule } from '../../../main/system/names'

// ---- the model: what zfs_namecheck.c accepts
const legal = (c: string): boolean => /^[A-Za-z0-9_\-.: ]$/.test(c)
const componentOk = (c: string): boolean => c !== '' && c !== '.' && c !== '..' && [...c].every(legal)
/** The kernel's pool part: begins with a letter, legal characters, not mirror/raidz/draid. */
const poolPartOk = (p: string): boolean => componentOk(p) && /^[A-Za-z]/.test(p) && !['mirror', 'raidz', 'draid'].includes(p)
const datasetOk = (n: string): boolean => {
  if (n.length === 0 || n.length > 255 || n.includes('@')) return false
  const [pool, ...rest] = n.split('/')
  return poolPartOk(pool!) && rest.every(componentOk)
}
const snapshotOk = (n: string): boolean => {
  if (n.length === 0 || n.length > 255) return false
  const parts = n.split('@')
  if (parts.length !== 2) return false
  return datasetOk(parts[0]!) && componentOk(parts[1]!)
}
/** zpool create/import (libzfs zpool_name_valid) on top: no mirror*, raidz*, draid*, spare* prefixes, not "log", at most 239. */
const poolOk = (n: string): boolean => poolPartOk(n) && n.length <= 239 && !/^(mirror|raidz|draid|spare)/.test(n) && n !== 'log'

// ---- generators: mostly legal pieces with hostile characters mixed in
const hostile = ['', ';', '$', '`', "'", '"', '\n', '\r', '\0', '\t', '%', '#', '@', '/', '-', '..', '.', ' ', '|', '&', '*', '\\', 'é', '💾', '\u202e']
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:-]{0,12}$/) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_\-.: ]{0,6}$/) },
  { weight: 2, arbitrary: fc.constantFrom(...hostile) },
  { weight: 1, arbitrary: fc.constantFrom('mirror', 'raidz1', 'draid', 'spare', 'log', 'raidz') },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
)
const joined = (sep: fc.Arbitrary<string>) => fc.array(fc.tuple(piece, sep), { minLength: 1, maxLength: 6 }).map((xs) => xs.map(([p, s]) => p + s).join(''))
const datasetish = joined(fc.constantFrom('', '/', '/', '-', '@'))
const long = fc.tuple(fc.constantFrom('tank/', 'backup/'), fc.integer({ min: 230, max: 270 })).map(([p, n]) => p + 'a'.repeat(n - p.length))
const names = fc.oneof(datasetish, long, fc.string({ maxLength: 20 }))

describe('name validation agrees with ZFS', () => {
  it('datasets', () => {
    fc.assert(fc.property(names, (n) => { expect(datasetNameRule(n) === undefined).toBe(datasetOk(n)) }), { numRuns: 3000 })
  })

  it('snapshots', () => {
    const snaps = fc.oneof(names, fc.tuple(datasetish, piece).map(([d, s]) => `${d}@${s}`))
    fc.assert(fc.property(snaps, (n) => { expect(snapshotNameRule(n) === undefined).toBe(snapshotOk(n)) }), { numRuns: 3000 })
  })

  it('pools (create and import rules)', () => {
    fc.assert(fc.property(fc.oneof(piece, names), (n) => { expect(poolNameRule(n) === undefined).toBe(poolOk(n)) }), { numRuns: 3000 })
  })

  it('nothing accepted can be read as an option or carries a control or shell character', () => {
    fc.assert(fc.property(names, (n) => {
      if (datasetNameRule(n) !== undefined) return
      expect(n.startsWith('-')).toBe(false)
      expect([...n].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\x7f' || ';$`\'"|&*\\'.includes(c))).toBe(false)
    }), { numRuns: 3000 })
  })
})
