// Key rehearsal that reminds: when was the passphrase of a drive's backup last proven (a verify-key or a
// restore that opened it, from the history), and is a rehearsal due (keyCheckEveryDays, default 90)? The
// history is the only memory: the passphrase itself is never stored, it travels on zfs load-key's stdin.
import type { RunRecord } from '../../shared/run-record'

const DAY_MS = 24 * 60 * 60 * 1000

export interface KeyCheckStatus {
  /** The last run that proved the passphrase, or null. */
  lastProvenAt: string | null
  /** Days since then (or since the drive was first used, when never proven); null: no history yet. */
  days: number | null
  due: boolean
  everyDays: number
}

const proves = (r: RunRecord): boolean => r.outcome === 'succeeded' && (r.verb === 'verify-key' || r.verb === 'restore-open')
const at = (r: RunRecord): number => Date.parse(r.finishedAt ?? r.startedAt)

/**
 * Never proven, the clock starts at the drive's first successful run (setup, adopt, backup): a drive
 * just set up does not ask at once, one used for months without a rehearsal does.
 */
export function keyCheckStatus(runs: readonly RunRecord[], drive: string, everyDays: number, now: number): KeyCheckStatus {
  const mine = runs.filter((r) => r.drive === drive && r.outcome === 'succeeded')
  const proof = mine.filter(proves).sort((a, b) => at(b) - at(a))[0] ?? null
  const since = proof ? at(proof) : mine.length ? Math.min(...mine.map(at)) : null
  const days = since === null ? null : Math.floor((now - since) / DAY_MS)
  return { lastProvenAt: proof ? new Date(at(proof)).toISOString() : null, days, due: days !== null && days >= everyDays, everyDays }
}
