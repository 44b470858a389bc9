// The native transfer's argv and what `zfs send -w -v -P` prints, on stderr captured from OpenZFS 2.3.2 in
// the test VM (test/fixtures/zfs/native/, by capture-native.sh).
import { describe, expect, it } from 'vitest'
import { parseSendLine, receiveArgv, sendArgv, sendEstimateArgv, SendProgress } from '../../../main/system/zfs-send'
import { fixture } from './fixtures'

const lines = (name: string): string[] => fixture(`native/${name}`).split('\n').filter((l) => l !== '')

/** Feeds a capture line by line and records the byte count after each, as the engine sees it. */
function replay(name: string): { p: SendProgress; seen: { bytes: number; total: number | null }[] } {
  const p = new SendProgress()
  const seen = lines(name).map((l) => {
    p.feed(l)
    return { bytes: p.bytes, total: p.totalBytes }
  })
  return { p, seen }
}

describe('zfs send and receive argv', () => {
  it('sends raw with its size and progress on stderr, receives resumable and unmounted, never with -F', () => {
    expect(sendArgv({ kind: 'full' }, 'rpool/home@a')).toEqual(['zfs', 'send', '-w', '-v', '-P', 'rpool/home@a'])
    expect(sendArgv({ kind: 'incremental', from: 'rpool/home@a', intermediates: true }, 'rpool/home@c')).toEqual(['zfs', 'send', '-w', '-v', '-P', '-I', 'rpool/home@a', 'rpool/home@c'])
    expect(sendArgv({ kind: 'incremental', from: 'rpool/home#zfs-drive-backup', intermediates: false }, 'rpool/home@c')).toEqual(['zfs', 'send', '-w', '-v', '-P', '-i', 'rpool/home#zfs-drive-backup', 'rpool/home@c'])
    expect(sendArgv({ kind: 'resume', token: '1-abc-def' }, null)).toEqual(['zfs', 'send', '-w', '-v', '-P', '-t', '1-abc-def'])
    expect(receiveArgv('backup/home')).toEqual(['zfs', 'receive', '-s', '-u', 'backup/home'])
    expect(sendEstimateArgv({ raw: true, from: 'rpool/home@a', to: 'rpool/home@c' })).toEqual(['zfs', 'send', '-n', '-w', '-v', '-P', '-I', 'rpool/home@a', 'rpool/home@c'])
  })

  it('refuses what could widen the send: option-like names, -I from a bookmark, odd tokens', () => {
    expect(() => sendArgv({ kind: 'full' }, '-R')).toThrow()
    expect(() => sendArgv({ kind: 'full' }, 'rpool/home')).toThrow(/snapshot/)
    expect(() => sendArgv({ kind: 'incremental', from: 'rpool/home#m', intermediates: true }, 'rpool/home@c')).toThrow(/bookmark/)
    expect(() => sendArgv({ kind: 'incremental', from: 'rpool/home#', intermediates: false }, 'rpool/home@c')).toThrow()
    expect(() => sendArgv({ kind: 'resume', token: '1-abc -R' }, null)).toThrow(/token/)
    expect(() => receiveArgv('backup/home@x')).toThrow()
  })
})

describe('zfs send -v -P on stderr', () => {
  it('reads the header lines of a full, an -I and a bookmark-based send', () => {
    expect(parseSendLine(lines('send-full.send.stderr.txt')[0]!)).toEqual({ kind: 'full', to: 'ntank/home@autosnap_2026-12-01_10:00:00_hourly', bytes: 60186528 })
    expect(parseSendLine(lines('send-incremental.send.stderr.txt')[0]!)).toEqual({ kind: 'incremental', from: 'autosnap_2026-12-01_10:00:00_hourly', to: 'ntank/home@autosnap_2026-12-01_11:00:00_hourly', bytes: 30134024 })
    expect(parseSendLine(lines('send-from-bookmark.send.stderr.txt')[0]!)).toMatchObject({ kind: 'incremental', from: 'ntank/home#zdb-test' })
    expect(parseSendLine('size\t60268048')).toEqual({ kind: 'size', bytes: 60268048 })
    expect(parseSendLine('20:35:22\t135860\tntank/home@autosnap_2026-12-01_12:00:00_hourly')).toEqual({ kind: 'progress', bytes: 135860, snapshot: 'ntank/home@autosnap_2026-12-01_12:00:00_hourly' })
    expect(parseSendLine('cannot open \'x\': dataset does not exist').kind).toBe('other')
  })

  it('knows the total before the first byte, and counts never fall or pass it (full send)', () => {
    const { seen } = replay('send-full.send.stderr.txt')
    expect(seen[0]).toEqual({ bytes: 0, total: 60186528 })
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes)
    expect(seen.at(-1)!.bytes).toBe(59258540)
    // The announced size is the send's own estimate: within 0.1 % of the stream that went through the pipe.
    const actual = Number(fixture('native/send-full.bytes.txt').trim())
    expect(Math.abs(60186528 - actual) / actual).toBeLessThan(0.001)
  })

  it('an -I range restarts its count for each snapshot: a finished snapshot counts as its announced size', () => {
    const { seen } = replay('send-incremental.send.stderr.txt')
    expect(seen[0]!.total).toBe(30134024) // the first snapshot's line; the size line that follows is the whole
    expect(seen[2]!.total).toBe(60268048)
    const bytes = seen.map((s) => s.bytes)
    for (let i = 1; i < bytes.length; i++) expect(bytes[i]!).toBeGreaterThanOrEqual(bytes[i - 1]!)
    const firstOfSecond = lines('send-incremental.send.stderr.txt').findIndex((l) => l.startsWith('20:35:22'))
    expect(bytes[firstOfSecond]).toBe(30134024 + 135860)
    expect(bytes.at(-1)).toBe(30134024 + 30091412)
    expect(bytes.every((b) => b <= 60268048)).toBe(true)
  })

  it('caps a count that runs past the announced size', () => {
    const p = new SendProgress()
    p.feed('full\trpool/home@a\t1000')
    p.feed('size\t1000')
    p.feed('10:00:00\t1500\trpool/home@a')
    expect(p.bytes).toBe(1000)
  })
})
