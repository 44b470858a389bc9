// Every number the window shows goes through here, so bytes, rates, ETAs and ages read the same everywhere.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** Binary units: "0 B", "512 B", "1.5 KiB", "37.2 MiB", "1.02 TiB"; three significant digits at most. */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—'
  let v = n
  let u = 0
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024
    u++
  }
  if (u === 0) return `${Math.round(v)} B`
  const text = v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toString()
  return `${text} ${UNITS[u]}`
}

export function rate(bytesPerSecond: number): string {
  return `${bytes(bytesPerSecond)}/s`
}

/** "12 s", "4 min 5 s", "2 h 7 min": a duration with its two largest units. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`
  const h = Math.floor(m / 60)
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`
}

/** Time left, deliberately coarse: an ETA is a guess. */
export function eta(seconds: number): string {
  if (seconds < 60) return 'less than a minute left'
  const m = Math.round(seconds / 60)
  if (m < 60) return `about ${m} min left`
  const h = Math.floor(m / 60)
  return m % 60 ? `about ${h} h ${m % 60} min left` : `about ${h} h left`
}

/** "3 days ago": the unit a person would say, never more precise than it needs to be. */
export function age(then: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000))
  const units: [number, string][] = [[86400, 'day'], [3600, 'hour'], [60, 'minute']]
  for (const [size, name] of units) {
    const n = Math.floor(s / size)
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'} ago`
  }
  return 'just now'
}

/** A point in time in the user's locale: "Mar 3, 2025, 14:05". */
export function when(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** An argv array as a person would type it: arguments quoted only when a shell would need it. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (a !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ')
}

/** "rpool/home@autosnap_2025-03-01" → "autosnap_2025-03-01". */
export function snapName(full: string): string {
  const at = full.indexOf('@')
  return at >= 0 ? full.slice(at + 1) : full
}

export function datasetOf(full: string): string {
  const at = full.indexOf('@')
  return at >= 0 ? full.slice(0, at) : full
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
