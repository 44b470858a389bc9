import { describe, expect, it } from 'vitest'
import {
  assertSnapshotName,
  byIdPathSchema,
  datasetNameRule,
  InvalidNameError,
  poolNameRule,
  snapshotNameRule,
  snapshotNameSchema,
} from '../../../main/system/names'

describe('pool names (OpenZFS pool_namecheck + zpool_name_valid)', () => {
  it.each(['backup', 'tank', 'Backup_2', 'bak-pool.1', 'my pool', 'a:b', 'c0pool', 'logs', 'mirrorless'.replace('mirror', 'm')])('accepts %j', (n) => {
    expect(poolNameRule(n)).toBeUndefined()
  })
  it.each([
    ['-rf', /start with '-'/],
    ['1pool', /begin with a letter/],
    ['_x', /begin with a letter/],
    ['a;b', /character ';'/],
    ['a/b', /character '\/'/],
    ['a@b', /character '@'/],
    ['mirror', /reserved/],
    ['mirror2', /reserved/],
    ['raidz1', /reserved/],
    ['draid', /reserved/],
    ['spare', /reserved/],
    ['log', /reserved/],
    ['', /empty/],
    ['a'.repeat(240), /at most 239/],
  ])('rejects %j', (n, rule) => {
    expect(poolNameRule(n)).toMatch(rule)
  })
  it('accepts the longest allowed name', () => expect(poolNameRule('a'.repeat(239))).toBeUndefined())
})

describe('dataset names', () => {
  it.each(['tank/data', 'rpool/nixos/home', 'tank/my data', 'tank/a:b.c-d_e', 'tank'])('accepts %j', (n) => {
    expect(datasetNameRule(n)).toBeUndefined()
  })
  it.each([
    ['-rf', /start with '-'/],
    ['../x', /begin with a letter|'\.\.'/],
    ['tank/../x', /'\.\.' component/],
    ['tank/./x', /'\.' component/],
    ['tank//x', /empty component/],
    ['tank/', /empty component/],
    ['/tank', /must not start with '\/'/],
    ['tank/a;b', /character ';'/],
    ['tank/$(id)', /character '\$'/],
    ['tank/a%b', /'%' is not allowed/],
    ['tank/a#b', /'#' is not allowed/],
    ['tank/a\nb', /character '\\x0a'/],
    ['tank/x@snap', /not a snapshot/],
    ['1tank/x', /begin with a letter/],
    [`tank/${'a'.repeat(251)}`, /at most 255/],
  ])('rejects %j', (n, rule) => {
    expect(datasetNameRule(n)).toMatch(rule)
  })
  it('allows 255 characters exactly', () => expect(datasetNameRule(`tank/${'a'.repeat(250)}`)).toBeUndefined())
})

describe('snapshot names', () => {
  it.each(['tank/data@autosnap_2026-11-27_03:00:00_hourly', 'tank@x', 'tank/data@-rf', 'tank/a b@c d'])('accepts %j', (n) => {
    expect(snapshotNameRule(n)).toBeUndefined()
  })
  it.each([
    ['tank/data', /no '@'/],
    ['tank/data@', /snapshot name after '@'/],
    ['tank/data@a@b', /only one '@'/],
    ['tank/data@a/b', /'\/' after '@'/],
    ['tank/data@a%b', /'%'/],
    ['tank/data@a,b', /character ','/],
    ['tank/data@..', /'\.\.'/],
    ['-tank@x', /start with '-'/],
  ])('rejects %j', (n, rule) => {
    expect(snapshotNameRule(n)).toMatch(rule)
  })

  it('throws an error naming the field, the value and the rule', () => {
    expect(() => assertSnapshotName('tank/data', 'snapshot to destroy')).toThrow(InvalidNameError)
    expect(() => assertSnapshotName('tank/data', 'snapshot to destroy')).toThrow(/^snapshot to destroy "tank\/data": must be a snapshot/)
  })

  it('reports the rule through zod', () => {
    const r = snapshotNameSchema.safeParse('tank/data@a;b')
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.message).toMatch(/character ';'/)
  })
})

describe('/dev/disk/by-id paths', () => {
  it.each(['/dev/disk/by-id/usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0', '/dev/disk/by-id/virtio-SRCDISK01-part2'])('accepts %j', (p) => {
    expect(byIdPathSchema.safeParse(p).success).toBe(true)
  })
  it.each([
    ['/dev/sda', /must start with/],
    ['/dev/disk/by-id/', /must name a device/],
    ['/dev/disk/by-id/../../sda', /directly inside|'\.\.'/],
    ['/dev/disk/by-id/x..y', /'\.\.'/],
    ['/dev/disk/by-id/a\0b', /control characters/],
    ['/dev/disk/by-id/-rf', /'-'/],
    ['/dev/disk/by-uuid/123', /must start with/],
  ])('rejects %j', (p, rule) => {
    const r = byIdPathSchema.safeParse(p)
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.message).toMatch(rule)
  })
})
