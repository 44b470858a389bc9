// "Notifications that mean something when nobody watched": a headless run (backup on plug) that failed
// while no desktop session could be told is reported at the next app start (which is the next login when
// the app starts at login), once. What has been reported is remembered next to the history.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { RunRecord } from '../../shared/run-record'

export const reportedPath = (historyPath: string): string => join(dirname(historyPath), 'headless-reported.json')

async function readReported(path: string): Promise<Set<string>> {
  try {
    const ids: unknown = JSON.parse(await readFile(path, 'utf8'))
    return new Set(Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [])
  } catch {
    return new Set()
  }
}

/** Failed headless runs nobody was told about, newest first. `history` is newest first. */
export function missedFailures(history: readonly RunRecord[], reported: ReadonlySet<string>): RunRecord[] {
  return history.filter((r) => r.headless && r.outcome === 'failed' && !r.notified && !reported.has(r.id))
}

/**
 * Tells about each drive's newest missed failure (older ones of the same drive say nothing new) and
 * remembers all of them as reported. Returns the runs it told about.
 */
export async function reportMissedFailures(history: readonly RunRecord[], historyPath: string, tell: (run: RunRecord) => void): Promise<RunRecord[]> {
  const path = reportedPath(historyPath)
  const reported = await readReported(path)
  const missed = missedFailures(history, reported)
  if (missed.length === 0) return []
  const told: RunRecord[] = []
  for (const r of missed) if (!told.some((t) => t.drive === r.drive)) told.push(r)
  for (const r of told) tell(r)
  // Only the latest ids matter: the history itself is bounded, so is this list.
  const all = [...missed.map((r) => r.id), ...reported].slice(0, 200)
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(all), { mode: 0o600 })
  await rename(tmp, path)
  return told
}
