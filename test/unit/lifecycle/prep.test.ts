// The setup's commands (exact argv of the guide), restore path rules, adopt's replica check, secrets.
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { diskOfVdev, replicaProblem } from '../../../main/engine/adopt'
import { restorePaths } from '../../../main/engine/restore'
import { isWrongPassphrase } from '../../../main/system/zfs'
import { expectedProperties, propertyMismatches, targetFor, withDrive } from '../../../main/engine/setup'
import { applyKeys, lineReader } from '../../../main/cli/secret'
import { configSchema } from '../../../main/config/schema'
import { blkdiscardArgv, partedArgv, wipefsArgv, zpoolCreateArgv, labelclearArgv, defaultPoolMountpoint, loadKeyDryRunArgv } from '../../../main/system/disk-prep'

const DISK = '/dev/disk/by-id/usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0'

describe('disk preparation argv', () => {
  it("is the guide's, on the by-id path", () => {
    expect(blkdiscardArgv(DISK)).toEqual(['blkdiscard', '-f', DISK])
    expect(partedArgv(DISK)).toEqual(['parted', '--script', '--align=optimal', DISK, '--', 'mklabel', 'gpt', 'mkpart', 'backup', '0%', '100%'])
    expect(zpoolCreateArgv('backup', `${DISK}-part1`, defaultPoolMountpoint('backup'))).toEqual([
      'zpool', 'create', '-o', 'ashift=12', '-o', 'autotrim=on', '-o', 'failmode=continue',
      '-O', 'acltype=posixacl', '-O', 'compression=zstd', '-O', 'dnodesize=auto', '-O', 'normalization=formD', '-O', 'relatime=on', '-O', 'xattr=sa',
      '-O', 'readonly=on', '-O', 'canmount=on', '-O', 'mountpoint=/mnt/backup_pool', 'backup', `${DISK}-part1`,
    ])
    expect(wipefsArgv(`${DISK}-part1`)).toEqual(['wipefs', '-a', `${DISK}-part1`])
    expect(labelclearArgv(`${DISK}-part1`)).toEqual(['zpool', 'labelclear', '-f', `${DISK}-part1`])
    expect(loadKeyDryRunArgv('backup/eds')).toEqual(['zfs', 'load-key', '-n', '-L', 'prompt', 'backup/eds'])
  })
  it('refuses /dev/sdX names, partitions for whole-disk commands, and option-like names', () => {
    expect(() => blkdiscardArgv('/dev/sda')).toThrow(/by-id/)
    expect(() => partedArgv(`${DISK}-part1`)).toThrow(/partition/)
    expect(() => wipefsArgv('/dev/disk/by-id/-rf')).toThrow()
    expect(() => zpoolCreateArgv('-f', `${DISK}-part1`, '/mnt/x')).toThrow()
  })
})

describe('setup helpers', () => {
  it('names targets after the source (backup/eds for rpool/nixos/eds)', () => {
    expect(targetFor('backup', 'rpool/nixos/eds')).toBe('backup/eds')
  })
  it('accepts posix for acltype=posixacl and on for xattr=sa (as OpenZFS 2.3 prints them), and reports other differences', () => {
    const want = expectedProperties('backup', '/mnt/backup_pool')
    const got = Object.fromEntries(Object.entries(want.root).map(([k, v]) => [k, { value: k === 'acltype' ? 'posix' : k === 'xattr' ? 'on' : v }]))
    expect(propertyMismatches('backup', got, want.root)).toEqual([])
    expect(propertyMismatches('backup', { ...got, readonly: { value: 'off' } }, want.root)).toEqual(['backup: readonly=off (want on)'])
    expect(propertyMismatches('backup', { ...got, xattr: { value: 'dir' } }, want.root)).toEqual(['backup: xattr=dir (want sa)'])
  })
  it('records a drive, adding its source, replacing a drive with the same GUID', () => {
    const c = configSchema.parse({ version: 1, sources: [], drives: [{ name: 'old', pool: 'backup', poolGuid: '1', disk: DISK, targets: {} }] })
    const n = withDrive(c, { name: 'T7', pool: 'backup', poolGuid: '1', disk: DISK, targets: { 'rpool/eds': 'backup/eds' } })
    expect(n.drives).toEqual([{ name: 'T7', pool: 'backup', poolGuid: '1', disk: DISK, targets: { 'rpool/eds': 'backup/eds' } }])
    expect(n.sources).toEqual([{ dataset: 'rpool/eds', allowUnencrypted: false, snapshotBeforeBackup: false }])
  })
})

describe('adopt checks', () => {
  const t = { name: 'backup/eds', encryption: 'aes-256-gcm', keystatus: 'unavailable', encryptionroot: 'backup/eds' }
  it('accepts a raw replica with a common snapshot', () => {
    expect(replicaProblem(t, 'aes-256-gcm', 2, 'rpool/eds')).toBeUndefined()
  })
  it('refuses with the reason', () => {
    expect(replicaProblem({ ...t, encryption: 'off', encryptionroot: null }, 'aes-256-gcm', 2, 'rpool/eds')?.code).toBe('target-unencrypted')
    expect(replicaProblem({ ...t, encryptionroot: 'backup' }, 'aes-256-gcm', 2, 'rpool/eds')?.message).toMatch(/received into an encrypted parent/)
    expect(replicaProblem({ ...t, keystatus: 'available' }, 'aes-256-gcm', 2, 'rpool/eds')?.message).toMatch(/key .* is loaded/)
    expect(replicaProblem(t, 'aes-256-gcm', 0, 'rpool/eds')).toMatchObject({ code: 'no-common-snapshot', message: expect.stringMatching(/another dataset/) })
  })
  it('finds the whole disk of a vdev', () => {
    expect(diskOfVdev(`${DISK}-part1`)).toBe(DISK)
    expect(diskOfVdev('/dev/sda1', [{ link: `${DISK}-part1`, device: '/dev/sda1' }])).toBe(DISK)
  })
})

describe('restore paths', () => {
  const dir = '/mnt/backup_pool/eds/.zfs/snapshot'
  it('maps PATH inside the snapshot to DIR/basename', () => {
    expect(restorePaths(dir, 'daily1', '/docs/a.txt', '/home/me')).toEqual({ from: `${dir}/daily1/docs/a.txt`, to: '/home/me/a.txt', snapRoot: `${dir}/daily1` })
    expect(restorePaths(dir, 'daily1', 'docs', '/tmp/r').to).toBe('/tmp/r/docs')
  })
  it('refuses escapes and relative destinations', () => {
    expect(() => restorePaths(dir, 'daily1', '../daily2/x', '/tmp')).toThrow(/outside the snapshot/)
    expect(() => restorePaths(dir, 'daily1', '../../../../etc/shadow', '/tmp')).toThrow(/outside the snapshot/)
    expect(() => restorePaths(dir, '../x', 'a', '/tmp')).toThrow(/not a snapshot/)
    expect(() => restorePaths(dir, 'daily1', 'a', 'rel')).toThrow(/absolute/)
  })
  it('recognises the wrong passphrase', () => {
    expect(isWrongPassphrase("Key load error: Incorrect key provided for 'backup/eds'.")).toBe(true)
    expect(isWrongPassphrase('cannot open backup/eds: dataset does not exist')).toBe(false)
  })
})

describe('passphrase reading', () => {
  it('reads one line per question from a pipe', async () => {
    const s = new PassThrough()
    const read = lineReader(s)
    s.end('first pass\r\nsecond\n')
    expect(await read('?')).toBe('first pass')
    expect(await read('?')).toBe('second')
    await expect(read('?')).rejects.toThrow(/no passphrase/)
  })
  it('handles keys typed on a terminal', () => {
    expect(applyKeys('', 'abc\u007fd')).toEqual({ value: 'abd', done: false, cancelled: false })
    expect(applyKeys('ab', '\r')).toEqual({ value: 'ab', done: true, cancelled: false })
    expect(applyKeys('ab', '\u0003')).toMatchObject({ cancelled: true, value: '' })
  })
})
