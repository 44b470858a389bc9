// What the drive keeps. "mirror" is the guide's behaviour: the drive drops what the laptop has pruned. A
// keep policy instead decides by snapshot time, so a drive can hold history the laptop no longer has:
// for each period (hour, day, ISO week, month, year) it keeps the newest snapshot of each of the N most
// recent periods that have one, like restic's --keep-hourly and friends. Two snapshots are never
// pruned, whatever the policy: the newest one the drive shares with the laptop (the next incremental
// starts there) and the one the laptop's bookmark for this drive names (the fallback base).
// Pure: everything it needs comes in as arguments, so it is tested without ZFS.

export const PERIODS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const
export type Period = (typeof PERIODS)[number]

/** How many of each period to keep; 'all' keeps one per period for ever. A missing period keeps none. */
export type KeepPolicy = Partial<Record<Period, number | 'all'>>
export type Retention = 'mirror' | KeepPolicy

/** What mirror needs of a snapshot: identity and order. */
export interface OrderedSnapshot {
  snapshot: string
  guid: string
  /** Decimal string; orders snapshots exactly. */
  createtxg: string
}

/** What a keep policy needs besides: when it was taken. */
export interface DatedSnapshot extends OrderedSnapshot {
  /** Seconds since the epoch. */
  creation: number
}

export type KeepReason = Period | 'newest-common' | 'bookmark-base' | 'on-laptop'

export interface RetentionDecision<T extends OrderedSnapshot = OrderedSnapshot> {
  /** Oldest first, each with why it stays. */
  keep: { snapshot: T; why: KeepReason[] }[]
  /** Oldest first. */
  prune: T[]
}

export interface Protected {
  newestCommonGuid: string | null
  bookmarkGuid: string | null
}

interface Calendar {
  year: number
  month: number
  day: number
  hour: number
}

function calendar(epochSeconds: number, formatter: Intl.DateTimeFormat): Calendar {
  const parts = Object.fromEntries(formatter.formatToParts(new Date(epochSeconds * 1000)).map((p) => [p.type, p.value]))
  // hourCycle h23 still prints 24 for midnight on some ICU versions.
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) % 24 }
}

/** ISO 8601 week of a calendar date: weeks start on Monday, week 1 holds the year's first Thursday. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day))
  const weekday = date.getUTCDay() || 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday)
  const weekYear = date.getUTCFullYear()
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86400_000 + 1) / 7)
  return { year: weekYear, week }
}

function bucket(c: Calendar, period: Period): string {
  switch (period) {
    case 'hourly':
      return `${c.year}-${c.month}-${c.day}T${c.hour}`
    case 'daily':
      return `${c.year}-${c.month}-${c.day}`
    case 'weekly': {
      const w = isoWeek(c.year, c.month, c.day)
      return `${w.year}W${w.week}`
    }
    case 'monthly':
      return `${c.year}-${c.month}`
    case 'yearly':
      return String(c.year)
  }
}

const byTxg = (a: OrderedSnapshot, b: OrderedSnapshot): number => (a.createtxg.length - b.createtxg.length) || (a.createtxg < b.createtxg ? -1 : a.createtxg > b.createtxg ? 1 : 0)

/**
 * Applies a keep policy to the drive's snapshots. Periods are calendar periods in `timeZone` (default:
 * the system's), so "daily" means one per local day, across daylight-saving changes too.
 */
export function applyKeepPolicy<T extends DatedSnapshot>(snapshots: readonly T[], policy: KeepPolicy, protect: Protected, timeZone?: string): RetentionDecision<T> {
  const formatter = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', hourCycle: 'h23' })
  const oldestFirst = [...snapshots].sort(byTxg)
  const why = new Map<T, KeepReason[]>()
  const add = (s: T, r: KeepReason): void => void why.set(s, [...(why.get(s) ?? []), r])
  const dates = new Map(oldestFirst.map((s) => [s, calendar(s.creation, formatter)]))
  for (const period of PERIODS) {
    const n = policy[period]
    if (n === undefined || n === 0) continue
    let last: string | null = null
    let kept = 0
    for (const s of [...oldestFirst].reverse()) {
      const b = bucket(dates.get(s)!, period)
      if (b === last) continue
      last = b
      if (n !== 'all' && kept >= n) break
      add(s, period)
      kept++
    }
  }
  return decide(oldestFirst, why, protect)
}

/** The guide's behaviour: keep what the laptop still has, drop what it pruned. */
export function applyMirror<T extends OrderedSnapshot>(target: readonly T[], sourceGuids: ReadonlySet<string>, protect: Protected): RetentionDecision<T> {
  const oldestFirst = [...target].sort(byTxg)
  const why = new Map<T, KeepReason[]>()
  for (const s of oldestFirst) if (sourceGuids.has(s.guid)) why.set(s, ['on-laptop'])
  return decide(oldestFirst, why, protect)
}

function decide<T extends OrderedSnapshot>(oldestFirst: readonly T[], why: Map<T, KeepReason[]>, protect: Protected): RetentionDecision<T> {
  const common = protect.newestCommonGuid === null ? -1 : oldestFirst.findIndex((s) => s.guid === protect.newestCommonGuid)
  const keep: RetentionDecision<T>['keep'] = []
  const prune: T[] = []
  oldestFirst.forEach((s, i) => {
    const reasons = [...(why.get(s) ?? [])]
    if (s.guid === protect.newestCommonGuid) reasons.unshift('newest-common')
    if (s.guid === protect.bookmarkGuid) reasons.unshift('bookmark-base')
    // Anything newer than the newest common snapshot is not ours to judge (a diverged drive is refused
    // elsewhere); with no common snapshot at all, nothing is pruned: there is nothing to anchor to.
    if (reasons.length > 0 || common < 0 || i > common) keep.push({ snapshot: s, why: reasons })
    else prune.push(s)
  })
  return { keep, prune }
}

/** The drive's retention for this run: which of its snapshots stay and which go. */
export function retentionDecision<T extends DatedSnapshot>(retention: Retention, target: readonly T[], sourceGuids: ReadonlySet<string>, protect: Protected, timeZone?: string): RetentionDecision<T> {
  return retention === 'mirror' ? applyMirror(target, sourceGuids, protect) : applyKeepPolicy(target, retention, protect, timeZone)
}

/** "24 hourly, 30 daily, every yearly". */
export function describeRetention(retention: Retention): string {
  if (retention === 'mirror') return 'mirror the laptop'
  const parts = PERIODS.filter((p) => retention[p] !== undefined && retention[p] !== 0).map((p) => (retention[p] === 'all' ? `every ${p}` : `${retention[p]} ${p}`))
  return parts.length ? `keep ${parts.join(', ')}` : 'keep only the newest'
}
