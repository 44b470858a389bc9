// Resume tokens as real OpenZFS 2.3 writes and decodes them (captured by test/fixtures/zfs/capture-resume.sh).
import { describe, expect, it } from 'vitest'
import { decodeResumeToken, parseResumeDecode, parseResumeSize, readResumeToken, resumeDecodeArgv } from '../../../main/system/resume-token'
import { fixture } from './fixtures'

const f = (name: string): string => fixture(`resume/${name}`)
const token = (name: string): string => f(name).trim()
const decoded = (name: string): string => `${f(`${name}.txt`)}\n${(() => { try { return f(`${name}.stderr.txt`) } catch { return '' } })()}`

describe('zfs send -nvP -t: the token as zfs decodes it', () => {
  it('reads a raw full send that was cut off', () => {
    expect(parseResumeDecode(decoded('zfs-send-resume-full-raw'))).toEqual({ toname: 'cap/home@autosnap_2026-11-27_01:00:00_hourly', toguid: BigInt('0xee7ae034f3f479f7').toString(), fromguid: null, rawok: true, bytes: 0x5a46a4 })
    expect(parseResumeSize(decoded('zfs-send-resume-full-raw'))).toBe(18181132)
  })

  it('reads a raw incremental, with the guid of its base', () => {
    expect(parseResumeDecode(decoded('zfs-send-resume-incremental-raw'))).toMatchObject({ toname: 'cap/home@autosnap_2026-11-27_02:00:00_hourly', fromguid: BigInt('0xee7ae034f3f479f7').toString(), rawok: true })
  })

  it('sees that a non-raw send is not raw', () => {
    expect(parseResumeDecode(decoded('zfs-send-resume-full-plain'))).toMatchObject({ toname: 'cap/plain@p1', rawok: false })
  })

  it('still reads the contents when zfs refuses the token because its dataset is gone', () => {
    const out = decoded('zfs-send-resume-gone')
    // A raw send of an unencrypted dataset carries no rawok: it is a compressed stream, nothing to decrypt.
    expect(parseResumeDecode(out)).toMatchObject({ toname: 'cap/gone@g1', rawok: false })
    expect(out).toMatch(/no longer exists/)
  })

  it('has nothing to read when zfs printed no contents (it refuses a corrupt token first)', () => {
    expect(parseResumeDecode('cannot resume send: resume token is corrupt\n')).toBeNull()
  })

  it('trusts no block with a key twice or a line it cannot account for', () => {
    const real = f('zfs-send-resume-full-plain.txt')
    expect(parseResumeDecode(real.replace('\ttoname = ', '\trawok = 1\n\ttoname = '))).toMatchObject({ rawok: true })
    expect(parseResumeDecode(real.replace('\ttoname = cap/plain@p1', '\ttoname = cap/plain@p1\n\ttoname = cap/home@x'))).toBeNull()
    expect(parseResumeDecode(real.replace('\ttoname = ', '\tsurprise = 1\n\ttoname = '))).toBeNull()
  })

  it('is asked with the token as one argv element, and nothing but hex and dashes gets through', () => {
    const t = token('resume-token-full-raw.txt')
    expect(resumeDecodeArgv(t)).toEqual(['zfs', 'send', '-n', '-v', '-P', '-t', t])
    expect(() => resumeDecodeArgv(`${t} -w`)).toThrow()
    expect(() => resumeDecodeArgv('-t')).toThrow()
  })
})

describe('the token decoded by the app itself', () => {
  it('agrees with zfs on every token captured', () => {
    for (const [t, out] of [['resume-token-full-raw.txt', 'zfs-send-resume-full-raw'], ['resume-token-incremental-raw.txt', 'zfs-send-resume-incremental-raw'], ['resume-token-full-plain.txt', 'zfs-send-resume-full-plain'], ['resume-token-gone.txt', 'zfs-send-resume-gone']] as const) {
      const own = decodeResumeToken(token(t))
      expect(own, t).not.toBeNull()
      expect(own).toEqual(parseResumeDecode(decoded(out)))
      expect(readResumeToken(token(t), decoded(out))).toEqual(own)
    }
  })

  it('catches a name that fakes a rawok line in zfs\'s printout (zfs prints names verbatim)', () => {
    // What zfs would print for a non-raw token whose toname ends in "\n\trawok = 1": the two readings differ.
    const t = token('resume-token-full-plain.txt')
    const zfsOut = f('zfs-send-resume-full-plain.txt').replace('\ttoname = cap/plain@p1', '\ttoname = cap/plain@p1\n\trawok = 1')
    expect(parseResumeDecode(zfsOut)).toMatchObject({ rawok: true })
    expect(decodeResumeToken(t)).toMatchObject({ rawok: false })
    expect(readResumeToken(t, zfsOut)).toBeNull()
  })

  it('refuses what is not a token', () => {
    expect(decodeResumeToken('1-abc-10-00')).toBeNull()
    const t = token('resume-token-full-raw.txt')
    expect(decodeResumeToken(t.slice(0, -8) + '00000000')).toBeNull() // a damaged zlib stream
    expect(decodeResumeToken('nonsense')).toBeNull()
    expect(decodeResumeToken('')).toBeNull()
  })
})
