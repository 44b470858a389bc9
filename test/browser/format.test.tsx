import { describe, expect, it } from 'vitest'
import { age, bytes, commandLine, duration, eta, rate, snapName } from '../../renderer/src/format'

describe('format', () => {
  it('bytes in binary units with at most three significant digits', () => {
    expect([0, 512, 1023, 1024, 1536, 10 * 1024, 100 * 1024 ** 2, 1024 ** 3 * 1.5, 1000204886016].map(bytes)).toEqual(['0 B', '512 B', '1023 B', '1.00 KiB', '1.50 KiB', '10.0 KiB', '100 MiB', '1.50 GiB', '932 GiB'])
    expect(bytes(-1)).toBe('—')
  })

  it('rates, durations and ETAs', () => {
    expect(rate(50 * 1024 ** 2)).toBe('50.0 MiB/s')
    expect([0, 42_000, 60_000, 95_000, 3_600_000, 3_720_000].map(duration)).toEqual(['0 s', '42 s', '1 min', '1 min 35 s', '1 h', '1 h 2 min'])
    expect([10, 62, 600, 3600, 4200].map(eta)).toEqual(['less than a minute left', 'about 1 min left', 'about 10 min left', 'about 1 h left', 'about 1 h 10 min left'])
  })

  it('ages', () => {
    const now = new Date('2025-03-10T12:00:00Z')
    const at = (ms: number) => new Date(now.getTime() - ms)
    expect([0, 59_000, 60_000, 2 * 3600_000, 86400_000, 3 * 86400_000].map((ms) => age(at(ms), now))).toEqual(['just now', 'just now', '1 minute ago', '2 hours ago', '1 day ago', '3 days ago'])
    expect(age(at(-5000), now)).toBe('just now')
  })

  it('commands shown as they would be typed', () => {
    expect(commandLine(['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '123'])).toBe('zpool import -d /dev/disk/by-id -N 123')
    expect(commandLine(['echo', 'two words', "it's", ''])).toBe(`echo 'two words' 'it'\\''s' ''`)
    expect(snapName('rpool/home@autosnap_1')).toBe('autosnap_1')
  })
})
