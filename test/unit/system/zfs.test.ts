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

describe('one listing for both sides (native replication)', () => {
  it('lists snapshots and bookmarks of source and target in one command, without creation', async () => {
    const { listForReplication, listReplicationArgv } = await import('../../../main/system/zfs')
    expect(listReplicationArgv(['rpool/home', 'backup/home'])).toEqual(['zfs', 'list', '-Hp', '-t', 'snapshot,bookmark', '-o', 'name,guid,createtxg', '-d', '1', 'rpool/home', 'backup/home'])
    const both = await listForReplication(fakeRunner(() => ({ stdout: fixture('native/zfs-list-both.txt') })), ['ntank/home', 'nback/home'])
    expect(both.get('ntank/home')!.snapshots.map((s) => s.guid)).toEqual(['9216389882287487442', '3389885990636058920', '11788318857452979655'])
    expect(both.get('nback/home')!.snapshots.map((s) => s.guid)).toEqual(both.get('ntank/home')!.snapshots.map((s) => s.guid))
    expect(both.get('nback/home')!.snapshots[0]).toEqual({ name: 'nback/home@autosnap_2026-12-01_10:00:00_hourly', dataset: 'nback/home', snapshot: 'autosnap_2026-12-01_10:00:00_hourly', guid: '9216389882287487442', createtxg: '19' })
  })

  it('a target that does not exist yet is reported as missing, not as a failure', async () => {
    const { listForReplication } = await import('../../../main/system/zfs')
    const runner = fakeRunner(() => ({ exitCode: 1, stdout: fixture('native/zfs-list-both-target-missing.txt'), stderr: fixture('native/zfs-list-both-target-missing.stderr.txt') }))
    const both = await listForReplication(runner, ['ntank/home', 'nback/home'])
    expect(both.get('nback/home')).toEqual({ exists: false, snapshots: [], bookmarks: [] })
    expect(both.get('ntank/home')!.snapshots).toHaveLength(3)
    await expect(listForReplication(fakeRunner(() => ({ exitCode: 1, stderr: 'cannot iterate filesystems: I/O error\n' })), ['a/b'])).rejects.toThrow(/I\/O error/)
  })

  it('keeps bookmarks apart from snapshots, with the guid of the snapshot they were made from', async () => {
    const { parseReplicationListing } = await import('../../../main/system/zfs')
    const l = parseReplicationListing(fixture('native/zfs-list-source-bookmark.txt'), ['ntank/home']).get('ntank/home')!
    expect(l.snapshots.map((s) => s.snapshot)).toEqual(['autosnap_2026-12-01_10:00:00_hourly', 'autosnap_2026-12-01_11:00:00_hourly', 'autosnap_2026-12-01_13:00:00_hourly'])
    expect(l.bookmarks).toEqual([{ name: 'ntank/home#zdb-test', dataset: 'ntank/home', bookmark: 'zdb-test', guid: '11788318857452979655', createtxg: '17' }])
  })

  it('one zfs get for source, target and the target\'s newest snapshot; a missing one is left out', async () => {
    const { getManyProperties } = await import('../../../main/system/zfs')
    const v = await getManyProperties(fakeRunner(() => ({ stdout: fixture('native/zfs-get-verify.txt') })), ['nback/home', 'nback/home@autosnap_2026-12-01_12:00:00_hourly'], ['encryption', 'keystatus', 'guid'])
    expect(v.get('nback/home')).toMatchObject({ encryption: 'aes-256-gcm', keystatus: 'unavailable' })
    expect(v.get('nback/home@autosnap_2026-12-01_12:00:00_hourly')!.raw.guid!.value).toBe('11788318857452979655')
    const m = await getManyProperties(fakeRunner(() => ({ exitCode: 1, stdout: fixture('native/zfs-get-both-target-missing.txt'), stderr: fixture('native/zfs-get-both-target-missing.stderr.txt') })), ['ntank/home', 'nback/home'])
    expect([...m.keys()]).toEqual(['ntank/home'])
    expect(m.get('ntank/home')!.receiveResumeToken).toBeNull()
  })
})

describe('batched destroy', () => {
  it('destroys many snapshots of one dataset in one command, split only below the argument limit', async () => {
    const { destroySnapshotsArgv } = await import('../../../main/system/zfs')
    expect(destroySnapshotsArgv('backup/home', ['a', 'b', 'c'])).toEqual([['zfs', 'destroy', 'backup/home@a,b,c']])
    const many = Array.from({ length: 3000 }, (_, i) => `autosnap_2026-01-01_00:00:${String(i).padStart(4, '0')}_hourly`)
    const batches = destroySnapshotsArgv('backup/home', many)
    expect(batches.length).toBeGreaterThan(1)
    expect(batches.every((b) => b[2]!.length < 128 * 1024)).toBe(true)
    expect(batches.flatMap((b) => b[2]!.slice('backup/home@'.length).split(','))).toEqual(many)
    expect(() => destroySnapshotsArgv('backup/home', ['a%b'])).toThrow()
    expect(() => destroySnapshotsArgv('backup/home', ['x,y'])).toThrow()
  })
})
