import { describe, expect, it } from 'vitest'
import type { CommandResult, RunOptions, Runner } from '../../../main/system/runner'
import {
  datasetExists,
  destroySnapshotArgv,
  diffArgv,
  getPropertiesArgv,
  listSnapshotsArgv,
  loadKey,
  loadKeyArgv,
  parseDatasetProperties,
  parseDiff,
  parseSnapshotList,
  setArgv,
} from '../../../main/system/zfs'
import { fixture } from './fixtures'

/** A runner that answers from canned output and records what it was asked. */
function fakeRunner(reply: (argv: readonly string[]) => Partial<CommandResult>): Runner & { calls: { argv: readonly string[]; options?: RunOptions }[] } {
  const calls: { argv: readonly string[]; options?: RunOptions }[] = []
  return {
    calls,
    async run(argv, options) {
      calls.push({ argv, options })
      const r = { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 1, ...reply(argv) }
      if (r.exitCode !== 0 && !options?.allowFailure) throw new Error(`exit ${r.exitCode}`)
      return r
    },
  }
}

describe('zfs list -t snapshot', () => {
  it('keeps 64-bit GUIDs exact, including those >= 2^63', () => {
    const snaps = parseSnapshotList(fixture('zfs-list-snapshots-source.txt'))
    expect(snaps.map((s) => s.guid)).toEqual(['9630527645254982367', '15711607136447010397', '2063594860801958916'])
    // Both exceed INT64_MAX, which `zfs list -j --json-int` would have printed instead.
    expect(BigInt(snaps[1]!.guid) > 2n ** 63n).toBe(true)
    expect(snaps[0]).toMatchObject({ dataset: 'tank/data', snapshot: 'autosnap_2026-11-27_00:00:00_hourly', createtxg: '12', creation: 1795757134 })
  })

  it('matches source and target snapshots by GUID although their txgs differ', () => {
    const src = parseSnapshotList(fixture('zfs-list-snapshots-source.txt'))
    const dst = parseSnapshotList(fixture('zfs-list-snapshots-target.txt'))
    expect(dst.map((s) => s.guid)).toEqual(src.map((s) => s.guid))
    expect(dst.map((s) => s.createtxg)).not.toEqual(src.map((s) => s.createtxg))
  })

  it('orders by createtxg numerically, not as text', () => {
    const out = 'p/d@b\t1\t10\t100\np/d@a\t2\t9\t100\n'
    expect(parseSnapshotList(out).map((s) => s.snapshot)).toEqual(['a', 'b'])
  })

  it('builds the listing argv and refuses a bad dataset', () => {
    expect(listSnapshotsArgv('tank/data')).toEqual(['zfs', 'list', '-Hp', '-t', 'snapshot', '-o', 'name,guid,createtxg,creation', '-d', '1', 'tank/data'])
    expect(() => listSnapshotsArgv('-rf')).toThrow(/start with '-'/)
  })
})

describe('zfs get', () => {
  it('reads an encrypted source with its key loaded', () => {
    const p = parseDatasetProperties(fixture('zfs-get-source.txt'))
    expect(p).toMatchObject({
      name: 'tank/data',
      encryption: 'aes-256-gcm',
      encrypted: true,
      keystatus: 'available',
      keylocation: 'file:///root/src.key',
      encryptionroot: 'tank/data',
      readonly: false,
      mounted: true,
      receiveResumeToken: null,
    })
    expect(p.raw.mountpoint).toEqual({ value: '/tank/data', source: 'inherited from tank' })
  })

  it('reads a raw-received target: still encrypted, key unavailable, keylocation=prompt', () => {
    const p = parseDatasetProperties(fixture('zfs-get-target.txt'))
    expect(p).toMatchObject({ encryption: 'aes-256-gcm', keystatus: 'unavailable', keylocation: 'prompt', encryptionroot: 'backup/data', readonly: true, snapdir: 'visible', mounted: false })
  })

  it('reads an unencrypted dataset (dashes become null)', () => {
    const p = parseDatasetProperties(fixture('zfs-get-plain.txt'))
    expect(p).toMatchObject({ encrypted: false, keystatus: null, keylocation: null, encryptionroot: null })
  })

  it('exposes the resume token of an interrupted receive', () => {
    const p = parseDatasetProperties(fixture('zfs-get-resumable.txt'))
    expect(p.receiveResumeToken).toMatch(/^1-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/)
  })

  it('asks for the properties in one call', () => {
    expect(getPropertiesArgv('backup/data')).toEqual([
      'zfs', 'get', '-Hp', '-o', 'name,property,value,source',
      'encryption,keystatus,keylocation,encryptionroot,readonly,snapdir,mountpoint,canmount,mounted,receive_resume_token', 'backup/data',
    ])
  })
})

describe('dataset exists', () => {
  it('is false on the real "dataset does not exist" error, true on success', async () => {
    const missing = fakeRunner(() => ({ exitCode: 1, stderr: fixture('zfs-list-missing.stderr.txt') }))
    expect(await datasetExists(missing, 'backup/nope')).toBe(false)
    expect(await datasetExists(fakeRunner(() => ({ stdout: 'backup/data\n' })), 'backup/data')).toBe(true)
  })
  it('throws on any other failure', async () => {
    await expect(datasetExists(fakeRunner(() => ({ exitCode: 1, stderr: 'permission denied' })), 'backup/data')).rejects.toThrow(/permission denied/)
  })
})

describe('argv builders', () => {
  it('destroys only a single snapshot', () => {
    expect(destroySnapshotArgv('backup/data@autosnap_2026-11-27_00:00:00_hourly')).toEqual(['zfs', 'destroy', 'backup/data@autosnap_2026-11-27_00:00:00_hourly'])
    for (const bad of ['backup/data', 'backup', 'backup/data@a%b', 'backup/data@a,b', 'backup/data@', '-r backup/data@x']) {
      expect(() => destroySnapshotArgv(bad), bad).toThrow()
    }
  })

  it('passes the passphrase on stdin, never in argv', async () => {
    const r = fakeRunner(() => ({}))
    await loadKey(r, 'backup/data', 'secret words\n')
    expect(r.calls[0]!.argv).toEqual(loadKeyArgv('backup/data'))
    expect(r.calls[0]!.argv).toEqual(['zfs', 'load-key', '-L', 'prompt', 'backup/data'])
    expect(r.calls[0]!.argv.join(' ')).not.toContain('secret')
    expect(r.calls[0]!.options?.input).toBe('secret words')
  })

  it('sets several properties at once and rejects odd property names', () => {
    expect(setArgv('backup/data', { readonly: 'on', snapdir: 'visible' })).toEqual(['zfs', 'set', 'readonly=on', 'snapdir=visible', 'backup/data'])
    expect(() => setArgv('backup/data', { 'a=b': 'c' })).toThrow(/property name/)
    expect(() => setArgv('backup/data', {})).toThrow()
  })

  it('diffs snapshot to snapshot and parses the real output', () => {
    expect(diffArgv('tank/data@a', 'tank/data@b')).toEqual(['zfs', 'diff', '-H', 'tank/data@a', 'tank/data@b'])
    expect(() => diffArgv('tank/data', 'tank/data@b')).toThrow(/diff from/)
    expect(parseDiff(fixture('zfs-diff.txt'))).toEqual([
      { change: 'M', path: '/tank/data/docs' },
      { change: '-', path: '/tank/data/docs/file1.bin' },
      { change: 'M', path: '/tank/data/hello.txt' },
    ])
    expect(parseDiff('R\t/a/old\\040name\t/a/new\n')).toEqual([{ change: 'R', path: '/a/old name', newPath: '/a/new' }])
  })
})
