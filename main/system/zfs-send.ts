// `zfs send` and `zfs receive` for the native transfer, and what `zfs send -v -P` prints on stderr:
//   full	<snapshot>	<bytes>                 (a full stream; -P prints the estimate before any data)
//   incremental	<from>	<to>	<bytes>       (one line per snapshot of an -I range, or one for -i)
//   size	<bytes>                             (the whole stream's estimate, still before any data)
//   HH:MM:SS	<bytes>	<snapshot>             (once a second while sending; the count restarts per snapshot)
// (test/fixtures/zfs/native/ holds the real thing.) The dry run `zfs send -nvP` prints the same header.
import { InvalidNameError, assertDatasetName, assertSnapshotName, bookmarkNameRule, snapshotNameRule } from './names'

/** What a send starts from: nothing (a full stream), a snapshot or bookmark, or a receiver's resume token. */
export type SendBase =
  | { kind: 'full' }
  /** -I sends every snapshot between `from` and `to` (a snapshot only); -i sends just `to` (`from` may be a bookmark). */
  | { kind: 'incremental'; from: string; intermediates: boolean }
  | { kind: 'resume'; token: string }

/** Resume tokens are hex with dashes (`1-<hex>-<hex>-<hex>`); anything else never reaches root. */
export function assertResumeToken(token: string): string {
  if (!/^[0-9a-f]+(-[0-9a-f]+)*$/i.test(token) || token.length > 16384) throw new Error('resume token: unexpected characters')
  return token
}

function assertBase(from: string, intermediates: boolean): void {
  const why = from.includes('#') ? (intermediates ? 'a bookmark can only be the base of -i, not -I' : bookmarkNameRule(from)) : snapshotNameRule(from)
  if (why) throw new InvalidNameError('send from', from, why)
}

/** `zfs send -w -v -P …`: raw (the drive gets ciphertext), with its size and progress on stderr. */
export function sendArgv(base: SendBase, to: string | null, o: { raw?: boolean; dryRun?: boolean } = {}): string[] {
  const argv = ['zfs', 'send', ...(o.dryRun ? ['-n'] : []), ...(o.raw ?? true ? ['-w'] : []), '-v', '-P']
  if (base.kind === 'resume') return [...argv, '-t', assertResumeToken(base.token)]
  if (to === null) throw new Error('send: a snapshot to send is needed')
  assertSnapshotName(to, 'send')
  if (base.kind === 'incremental') {
    assertBase(base.from, base.intermediates)
    argv.push(base.intermediates ? '-I' : '-i', base.from)
  }
  return [...argv, to]
}

/**
 * `zfs receive -s -u TARGET`: -s keeps a resume token when the stream breaks off, -u mounts nothing.
 * Never -F: a target that changed since the last backup is refused, not rolled back.
 */
export function receiveArgv(target: string): string[] {
  assertDatasetName(target, 'receive into')
  return ['zfs', 'receive', '-s', '-u', target]
}

/** The dry run the syncoid path uses for its byte total (the native path reads it from the real send). */
export function sendEstimateArgv(o: { raw: boolean; from: string | null; to: string; token?: string }): string[] {
  if (o.token) return sendArgv({ kind: 'resume', token: o.token }, null, { raw: false, dryRun: true })
  return sendArgv(o.from ? { kind: 'incremental', from: o.from, intermediates: true } : { kind: 'full' }, o.to, { raw: o.raw, dryRun: true })
}

/** The `size\t<bytes>` line that closes the -P header (incremental -I runs print one per snapshot first). */
export function parseSendEstimate(output: string): number | null {
  const sizes = [...output.matchAll(/^size\t(\d+)$/gm)].map((m) => Number(m[1]))
  return sizes.length ? sizes[sizes.length - 1]! : null
}

export type SendLine =
  | { kind: 'full'; to: string; bytes: number }
  | { kind: 'incremental'; from: string; to: string; bytes: number }
  | { kind: 'size'; bytes: number }
  | { kind: 'progress'; bytes: number; snapshot: string }
  | { kind: 'other'; text: string }

export function parseSendLine(line: string): SendLine {
  const f = line.split('\t')
  const n = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null)
  if (f[0] === 'full' && f.length === 3 && n(f[2]) !== null) return { kind: 'full', to: f[1]!, bytes: n(f[2])! }
  if (f[0] === 'incremental' && f.length === 4 && n(f[3]) !== null) return { kind: 'incremental', from: f[1]!, to: f[2]!, bytes: n(f[3])! }
  if (f[0] === 'size' && f.length === 2 && n(f[1]) !== null) return { kind: 'size', bytes: n(f[1])! }
  if (f.length >= 3 && /^\d\d:\d\d:\d\d$/.test(f[0]!) && n(f[1]) !== null) return { kind: 'progress', bytes: n(f[1])!, snapshot: f[f.length - 1]! }
  return { kind: 'other', text: line }
}

/**
 * One send's progress from its own stderr. The total is the `size` line (or the sum of the per-snapshot
 * lines), known before the first byte. Per-second counts restart for each snapshot of an -I range, so a
 * snapshot that is done counts as its announced size. Bytes never fall and never pass the total.
 */
export class SendProgress {
  private readonly announced = new Map<string, number>()
  private size: number | null = null
  private done = 0
  private snapshot: string | null = null
  private current = 0
  private shown = 0

  feed(line: string): SendLine {
    const p = parseSendLine(line)
    if (p.kind === 'full' || p.kind === 'incremental') this.announced.set(p.to, p.bytes)
    else if (p.kind === 'size') this.size = p.bytes
    else if (p.kind === 'progress') {
      if (this.snapshot !== null && p.snapshot !== this.snapshot) {
        this.done += Math.max(this.current, this.announced.get(this.snapshot) ?? 0)
        this.current = 0
      }
      this.snapshot = p.snapshot
      this.current = Math.max(this.current, p.bytes)
    }
    return p
  }

  /** The stream's size as the send announced it; null until its header was read. */
  get totalBytes(): number | null {
    if (this.size !== null) return this.size
    return this.announced.size ? [...this.announced.values()].reduce((a, b) => a + b, 0) : null
  }

  get bytes(): number {
    const total = this.totalBytes
    const raw = this.done + this.current
    this.shown = Math.max(this.shown, total === null ? raw : Math.min(raw, total))
    return this.shown
  }
}
