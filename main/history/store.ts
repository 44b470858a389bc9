// Run history: one JSON line per finished run, appended (a crash mid-write loses at most that line).
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { RunRecord } from '../../shared/run-record'

export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const xdg = env.XDG_STATE_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local/state'), 'zfs-drive-backup', 'history.jsonl')
}

export async function appendRun(record: RunRecord, path = defaultHistoryPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await appendFile(path, JSON.stringify(record) + '\n', { mode: 0o600 })
}

/** Newest first. A line that does not parse (a torn write after a crash) is skipped with a warning; the rest are kept. */
export async function readRuns(path = defaultHistoryPath(), limit = 100, warn: (message: string) => void = () => undefined): Promise<RunRecord[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const runs: RunRecord[] = []
  for (const line of text.split('\n').reverse()) {
    if (!line.trim()) continue
    try {
      runs.push(JSON.parse(line) as RunRecord)
    } catch {
      warn(`skipped a damaged line in ${path} (an interrupted write); earlier runs are intact`)
      continue
    }
    if (runs.length >= limit) break
  }
  return runs
}

/** When each drive last had a successful backup. */
export function lastSuccess(runs: readonly RunRecord[], drive: string): RunRecord | null {
  return runs.find((r) => r.verb === 'backup' && r.drive === drive && r.outcome === 'succeeded') ?? null
}
