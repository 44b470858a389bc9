import { describe, expect, it } from 'vitest'
import {
  exportArgv,
  importByGuidArgv,
  parseBusyExport,
  parseImportListing,
  parsePoolGet,
  parsePoolList,
  parseStatusErrors,
  parseStatusJson,
  parseZfsVersion,
  scanFraction,
  vdevErrorTotals,
} from '../../../main/system/zpool'
import { fixture } from './fixtures'

describe('zpool import listing', () => {
  it('lists an exported pool with its decimal GUID and vdev tree', () => {
    const [pool, ...rest] = parseImportListing(fixture('zpool-import-listing.txt'))
    expect(rest).toEqual([])
    expect(pool).toMatchObject({
      name: 'backup',
      id: '16412717767768173259',
      state: 'ONLINE',
      action: 'The pool can be imported using its name or numeric identifier.',
      config: [
        { depth: 0, name: 'backup', state: 'ONLINE' },
        { depth: 1, name: 'virtio-SRCDISK01-part2', state: 'ONLINE' },
      ],
    })
  })

  it('is empty when there is nothing to import (the message is on stderr)', () => {
    expect(parseImportListing(fixture('zpool-import-listing-none.txt'))).toEqual([])
    expect(fixture('zpool-import-listing-none.stderr.txt')).toMatch(/no pools available to import/)
  })

  it('joins multi-line status text and reads several pools', () => {
    const text = [
      '   pool: old',
      '     id: 123',
      '  state: DEGRADED',
      ' status: One or more devices are missing from the system.',
      '\tThe pool can be imported anyway.',
      ' action: The pool can be imported despite missing or damaged devices.',
      ' config:',
      '',
      '\told                       DEGRADED',
      '\t  mirror-0                DEGRADED',
      '\t    usb-A-0:0-part1       ONLINE',
      '\t    12345                 UNAVAIL  cannot open',
      '',
      '   pool: backup',
      '     id: 16412717767768173259',
      '  state: ONLINE',
      ' config:',
      '',
      '\tbackup  ONLINE',
    ].join('\n')
    const pools = parseImportListing(text)
    expect(pools.map((p) => p.name)).toEqual(['old', 'backup'])
    expect(pools[0]!.status).toBe('One or more devices are missing from the system. The pool can be imported anyway.')
    expect(pools[0]!.config[3]).toEqual({ depth: 2, name: '12345', state: 'UNAVAIL', detail: 'cannot open' })
  })
})

describe('import/export argv', () => {
  it('imports by GUID from by-id without mounting', () => {
    expect(importByGuidArgv('16412717767768173259')).toEqual(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '16412717767768173259'])
    expect(() => importByGuidArgv('backup')).toThrow(/decimal/)
    expect(() => importByGuidArgv('18446744073709551616')).toThrow(/decimal/)
  })

  it('or from the drive\'s own device links, and only from paths under /dev', () => {
    const disk = '/dev/disk/by-id/usb-Samsung_T7_ZDB1'
    expect(importByGuidArgv('222', [disk, `${disk}-part1`])).toEqual(['zpool', 'import', '-d', disk, '-d', `${disk}-part1`, '-N', '222'])
    expect(() => importByGuidArgv('222', ['/home/u/evil'])).toThrow(/under \/dev/)
    expect(() => importByGuidArgv('222', ['/dev/disk/../../home/u'])).toThrow(/under \/dev/)
  })
  it('exports without -f', () => {
    expect(exportArgv('backup')).toEqual(['zpool', 'export', 'backup'])
  })
  it('recognises the real busy-export error', () => {
    expect(parseBusyExport(fixture('zpool-export-busy.stderr.txt'))).toEqual({ mountpoint: '/mnt/backup_pool' })
    expect(parseBusyExport('cannot export: no such pool')).toBeNull()
  })
})

describe('zpool get / list', () => {
  it('parses -Hp properties as exact values', () => {
    const props = parsePoolGet(fixture('zpool-get.txt')).get('backup')!
    expect(props.guid!.value).toBe('16412717767768173259')
    expect(props.ashift).toEqual({ value: '12', source: 'local' })
    expect(props.autotrim!.value).toBe('on')
    expect(parsePoolGet(fixture('zpool-get-all.txt')).get('backup')!['feature@encryption']?.value).toMatch(/active|enabled/)
  })
  it('parses zpool list', () => {
    const pools = parsePoolList(fixture('zpool-list.txt'))
    expect(pools).toEqual([
      { name: 'backup', guid: '16412717767768173259', health: 'ONLINE', size: 503316480, allocated: 589824, free: 502726656, readonly: false, altroot: null },
      { name: 'tank', guid: '14404312252997950572', health: 'ONLINE', size: 1476395008, allocated: 45658112, free: 1430736896, readonly: false, altroot: null },
    ])
  })
})

describe('zpool status -jp', () => {
  it('reads a scrub in progress with byte counts', () => {
    const [s] = parseStatusJson(fixture('zpool-status-json-scrubbing.txt'))
    expect(s!.guid).toBe('16412717767768173259')
    expect(s!.scan).toMatchObject({ function: 'SCRUB', state: 'SCANNING', toExamine: 60600320, examined: 57327616, issued: 38903808, errors: 0, endTime: null })
    const f = scanFraction(s!.scan!)
    expect(f).toBeCloseTo(38903808 / 60600320)
    expect(f).toBeLessThanOrEqual(1)
  })

  it('reads a finished scrub that found errors, with per-vdev CKSUM counts', () => {
    const [s] = parseStatusJson(fixture('zpool-status-json-errors.txt'))
    expect(s!.scan).toMatchObject({ state: 'FINISHED', errors: 12, repaired: 0, startTime: 1795757178, endTime: 1795757179 })
    expect(s!.errorCount).toBe(12)
    expect(s!.msgid).toBe('ZFS-8000-8A')
    expect(s!.status).toBe('One or more devices has experienced an error resulting in data corruption. Applications may be affected.')
    expect(s!.vdevs[0]!.children[0]).toMatchObject({ name: 'virtio-SRCDISK01-part2', path: '/dev/disk/by-id/virtio-SRCDISK01-part2', checksumErrors: 24, readErrors: 0 })
    expect(vdevErrorTotals(s!.vdevs)).toEqual({ read: 0, write: 0, checksum: 24 })
    expect(scanFraction(s!.scan!)).toBe(1)
  })

  it('carries "Permission denied" as the error list when the key is not loaded (-v)', () => {
    const [s] = parseStatusJson(fixture('zpool-status-json-errors-v.txt'))
    expect(s!.errorList).toBe('Permission denied')
  })

  it('reads every pool', () => {
    expect(parseStatusJson(fixture('zpool-status-json-all.txt')).map((p) => p.name).sort()).toEqual(['backup', 'tank'])
    expect(parseStatusJson(fixture('zpool-status-json-clean.txt'))[0]!.errorCount).toBe(0)
  })

  it('refuses human-readable sizes (status -j without -p)', () => {
    expect(() => parseStatusJson(fixture('zpool-status-json-human.txt'))).toThrow(/-p/)
  })

  it('refuses a clamped --json-int GUID', () => {
    // What `zpool status -j --json-int` prints for a GUID >= 2^63; JSON.parse would even round it further.
    expect(() => parseStatusJson('{"pools":{"b":{"name":"b","pool_guid":9223372036854775807}}}')).toThrow(/pool_guid/)
  })
})

describe('zpool status -v errors section', () => {
  const both = (name: string): string => `${fixture(`${name}.txt`)}\n${(() => { try { return fixture(`${name}.stderr.txt`) } catch { return '' } })()}`

  it('recognises "List of errors unavailable: permission denied" (stderr, exit 0)', () => {
    expect(parseStatusErrors(both('zpool-status-v-errors-nokey'))).toEqual({ kind: 'unavailable', reason: 'permission denied' })
  })
  it('recognises "N data errors, use \'-v\' for a list"', () => {
    expect(parseStatusErrors(fixture('zpool-status-x-errors.txt'))).toEqual({ kind: 'count', count: 12 })
    expect(parseStatusErrors(fixture('zpool-status-errors.txt'))).toEqual({ kind: 'count', count: 12 })
  })
  it('a file of a mounted dataset is listed by its full path (no dataset: prefix)', () => {
    const out = "errors: Permanent errors have been detected in the following files:\n\n        /run/zfs-drive-backup-restore/1/mnt/bk/home/photos.bin\n        bk/home@daily:/big.bin\n"
    expect(parseStatusErrors(out)).toEqual({ kind: 'files', files: [{ dataset: '', snapshot: null, path: '/run/zfs-drive-backup-restore/1/mnt/bk/home/photos.bin' }, { dataset: 'bk/home', snapshot: 'daily', path: '/big.bin' }] })
  })
  it('recognises a clean pool', () => {
    expect(parseStatusErrors(fixture('zpool-status-v-clean.txt'))).toEqual({ kind: 'none' })
  })
  it('lists damaged files in the live dataset and in snapshots', () => {
    const r = parseStatusErrors(fixture('zpool-status-v-errors-key.txt'))
    expect(r.kind).toBe('files')
    if (r.kind !== 'files') return
    expect(r.files).toHaveLength(13)
    expect(r.files[0]).toEqual({ dataset: 'backup/data', snapshot: null, path: '/docs/file6.bin' })
    expect(r.files).toContainEqual({ dataset: 'backup/data', snapshot: 'autosnap_2026-11-27_01:00:00_hourly', path: '/docs/file1.bin' })
  })
  it('keeps metadata errors that have no path', () => {
    const r = parseStatusErrors('errors: Permanent errors have been detected in the following files:\n\n        <metadata>:<0x0>\n        backup/data:<0x21>\n')
    expect(r).toEqual({ kind: 'files', files: [{ dataset: '<metadata>', snapshot: null, path: '<0x0>' }, { dataset: 'backup/data', snapshot: null, path: '<0x21>' }] })
  })
})

describe('versions', () => {
  it('reads userland and kernel module versions', () => {
    expect(parseZfsVersion(fixture('zfs-version.txt'))).toMatchObject({ userland: '2.3.2', kernel: '2.3.2' })
    expect(parseZfsVersion(fixture('zpool-version.txt')).userland).toBe('2.3.2')
    expect(parseZfsVersion('zfs-2.2.6-1\nzfs-kmod-2.1.11-1\n')).toMatchObject({ userland: '2.2.6', kernel: '2.1.11' })
  })
})
