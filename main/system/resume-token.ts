// `receive_resume_token`: what an interrupted `zfs receive -s` leaves on the drive, and what `zfs send -t`
// continues from. The drive is untrusted, and so is its token: it can name any dataset and any stream
// flags (a non-raw send would put plaintext on the drive). It is read twice, and both readings must
// agree: by `zfs send -nvP -t` (which also checks it against this machine and prints what is left to
// send) and by this module's own decoding of the token (`1-<cksum>-<size>-<zlib'd packed nvlist>`), because
// zfs prints string values verbatim, so a name with a newline in it could fake a `rawok` line.
import { inflateSync } from 'node:zlib'

export interface ResumeToken {
  /** The snapshot being sent, as the token names it. */
  toname: string
  /** Decimal strings (64-bit). */
  toguid: string
  /** Set for an incremental: the guid of its base (snapshot or bookmark). */
  fromguid: string | null
  /** The stream is raw (`zfs send -w`): encrypted blocks as they are on disk. */
  rawok: boolean
  /** Bytes the interrupted receive already has. */
  bytes: number
}

const TOKEN = /^1-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/

export function isTokenSyntax(token: string): boolean {
  return token.length < 1_000_000 && TOKEN.test(token)
}

/** Decodes zfs send's dry run of a token: `zfs send -nvP -t TOKEN`, stdout and stderr together. */
export function resumeDecodeArgv(token: string): string[] {
  if (!isTokenSyntax(token)) throw new Error('resume token: not of the form 1-<hex>-<hex>-<hex>')
  return ['zfs', 'send', '-n', '-v', '-P', '-t', token]
}

const KEYS = new Set(['object', 'offset', 'bytes', 'toguid', 'toname', 'fromguid', 'largeblockok', 'embedok', 'compressok', 'rawok', 'savedok', 'redact_snaps', 'book_redact_snaps', 'redact_book', 'embedok'])

/**
 * The "resume token contents:" block zfs prints (an nvlist_print: `\tkey = value`, uint64s in hex).
 * Null when there is none (a corrupt token is refused before zfs prints anything). Any line it cannot
 * account for, or a key given twice, makes the whole reading null: such a token is not trusted.
 */
export function parseResumeDecode(output: string): ResumeToken | null {
  const lines = output.split('\n')
  const start = lines.indexOf('resume token contents:')
  if (start < 0 || lines[start + 1] !== 'nvlist version: 0') return null
  const kv = new Map<string, string>()
  for (const line of lines.slice(start + 2)) {
    const m = /^\t([a-z_]+) = (.*)$/.exec(line)
    if (!m) break
    if (!KEYS.has(m[1]!) || kv.has(m[1]!)) return null
    kv.set(m[1]!, m[2]!)
  }
  const hex = (k: string): string | null => {
    const v = kv.get(k)
    return v !== undefined && /^0x[0-9a-f]+$/.test(v) ? BigInt(v).toString() : null
  }
  const toname = kv.get('toname')
  const toguid = hex('toguid')
  if (!toname || !toguid) return null
  return { toname, toguid, fromguid: kv.has('fromguid') ? hex('fromguid') : null, rawok: kv.has('rawok'), bytes: Number(hex('bytes') ?? 0) }
}

/** The bytes left to send, from the dry run's closing `size\t<bytes>` line. */
export function parseResumeSize(output: string): number | null {
  const m = [...output.matchAll(/^size\t(\d+)$/gm)].at(-1)
  return m ? Number(m[1]) : null
}

const DATA_TYPE = { boolean: 1, uint64: 8, string: 9 } as const

/**
 * Decodes the token itself: zlib-compressed, natively packed nvlist (nvpair.c's NV_ENCODE_NATIVE,
 * little-endian on x86). Only the pairs the app checks are read; others are skipped by their size.
 * Null for anything unexpected.
 */
export function decodeResumeToken(token: string): ResumeToken | null {
  if (!isTokenSyntax(token)) return null
  const [, , sizeHex, payload] = token.split('-') as [string, string, string, string]
  let buf: Buffer
  try {
    buf = inflateSync(Buffer.from(payload, 'hex'))
  } catch {
    return null
  }
  if (buf.length !== parseInt(sizeHex, 16) || buf.length < 4 + 8 + 4) return null
  // nvs_header: encoding 0 = native, endian 1 = little.
  if (buf[0] !== 0 || buf[1] !== 1) return null
  let at = 4 + 8 // the stream header, then the list's version and flags
  const strings = new Map<string, string>()
  const numbers = new Map<string, bigint>()
  const flags = new Set<string>()
  const seen = new Set<string>()
  for (;;) {
    if (at + 4 > buf.length) return null
    const size = buf.readInt32LE(at)
    if (size === 0) break
    if (size < 16 || size % 8 !== 0 || at + size > buf.length) return null
    const nameSize = buf.readInt16LE(at + 4)
    const elems = buf.readInt32LE(at + 8)
    const type = buf.readInt32LE(at + 12)
    if (nameSize < 2 || 16 + nameSize > size) return null
    const name = buf.toString('latin1', at + 16, at + 16 + nameSize - 1)
    if (seen.has(name)) return null
    seen.add(name)
    const value = at + ((16 + nameSize + 7) & ~7)
    if (type === DATA_TYPE.boolean) flags.add(name)
    else if (type === DATA_TYPE.uint64 && elems === 1 && value + 8 <= at + size) numbers.set(name, buf.readBigUInt64LE(value))
    else if (type === DATA_TYPE.string && elems === 1) {
      const end = buf.indexOf(0, value)
      if (end < 0 || end >= at + size) return null
      strings.set(name, buf.toString('utf8', value, end))
    }
    at += size
  }
  const toname = strings.get('toname')
  const toguid = numbers.get('toguid')
  if (!toname || toguid === undefined) return null
  return { toname, toguid: toguid.toString(), fromguid: numbers.get('fromguid')?.toString() ?? null, rawok: flags.has('rawok'), bytes: Number(numbers.get('bytes') ?? 0n) }
}

/** Both readings, or null unless they agree on every field the app relies on. */
export function readResumeToken(token: string, decodeOutput: string): ResumeToken | null {
  const own = decodeResumeToken(token)
  const zfs = parseResumeDecode(decodeOutput)
  if (!own || !zfs) return null
  const same = own.toname === zfs.toname && own.toguid === zfs.toguid && own.fromguid === zfs.fromguid && own.rawok === zfs.rawok
  return same ? own : null
}
