// Source candidates (the setup's "what to back up" list) on `zfs list` output from the test VM.
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../../main/config/schema'
import { sourceCandidates } from '../../../main/engine/sources'
import { listAllSnapshotsArgv, listFilesystemsArgv } from '../../../main/system/zfs'
import { fixture } from '../system/fixtures'

const filesystems = fixture('zfs-list-filesystems.txt')
const snapshots = fixture('zfs-list-snapshot-names.txt')

describe('source candidates', () => {
  it('every filesystem outside the backup pools, its encryption root and snapshot count', () => {
    const config = configSchema.parse({ version: 1, drives: [{ name: 'T7', pool: 'backup', poolGuid: '13251836079750056283', disk: '/dev/disk/by-id/usb-T7-0:0', targets: {} }] })
    expect(sourceCandidates(filesystems, snapshots, config)).toEqual([
      { dataset: 'tank', encrypted: false, encryptionRoot: null, snapshots: 0 },
      { dataset: 'tank/data', encrypted: true, encryptionRoot: 'tank/data', snapshots: 3 },
      { dataset: 'tank/plain', encrypted: false, encryptionRoot: null, snapshots: 0 },
    ])
  })

  it('without drives, the backup pool is a candidate like any other; no snapshots at all is fine', () => {
    const all = sourceCandidates(filesystems, '', configSchema.parse({ version: 1 }))
    expect(all.map((c) => c.dataset)).toEqual(['backup', 'backup/data', 'tank', 'tank/data', 'tank/plain'])
    expect(all.every((c) => c.snapshots === 0)).toBe(true)
  })

  it('asks zfs with -Hp (tab-separated, exact)', () => {
    expect(listFilesystemsArgv()).toEqual(['zfs', 'list', '-Hp', '-t', 'filesystem', '-o', 'name,encryption,encryptionroot'])
    expect(listAllSnapshotsArgv()).toEqual(['zfs', 'list', '-Hp', '-t', 'snapshot', '-o', 'name'])
  })
})
