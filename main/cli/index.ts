// `zfs-drive-backup`: the engine from a terminal, for people who live in one and for scripts (--json
// prints the same events the tray app receives). Runs as root (sudo/doas), like the guide's alias.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config/load'
import { backup } from '../engine/backup'
import { EngineError } from '../engine/errors'
import type { RunEvent } from '../engine/events'
import { applyEvent, type RunRecord } from '../history/record'
import { appendRun, defaultHistoryPath, lastSuccess, readRuns } from '../history/store'
import { ExecaRunner } from '../system/runner'
import { duration, formatEvent, progressLine } from './format'

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  isTty: boolean
}

const usage = `usage: zfs-drive-backup <command> [options]

commands:
  backup [--drive NAME]   import the drive, send new snapshots (raw), verify, export, power off
  status                  configured drives and when each was last backed up
  history [-n N]          recent runs with their outcome and the commands they ran

options:
  --config PATH           config file (default: $XDG_CONFIG_HOME/zfs-drive-backup/config.json)
  --history PATH          history file (default: $XDG_STATE_HOME/zfs-drive-backup/history.jsonl)
  --json                  print events / results as JSON lines`

export async function main(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        drive: { type: 'string' },
        config: { type: 'string' },
        history: { type: 'string' },
        json: { type: 'boolean', default: false },
        n: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    io.err(`${(err as Error).message}\n${usage}\n`)
    return 2
  }
  const { values: o, positionals } = parsed
  const command = positionals[0]
  if (o.help || !command) {
    io.out(usage + '\n')
    return command || o.help ? 0 : 2
  }
  const historyPath = o.history ?? defaultHistoryPath()
  try {
    const { config } = await loadConfig(o.config)
    if (command === 'backup') return await runBackup(config, o.drive, historyPath, o.json, io, signal)
    if (command === 'status') {
      const runs = await readRuns(historyPath)
      const rows = config.drives.map((d) => {
        const last = lastSuccess(runs, d.name)
        const ageDays = last?.finishedAt ? (Date.now() - Date.parse(last.finishedAt)) / 86400_000 : null
        return { drive: d.name, pool: d.pool, lastBackup: last?.finishedAt ?? null, stale: ageDays === null || ageDays > config.staleAfterDays }
      })
      if (o.json) io.out(JSON.stringify(rows) + '\n')
      else if (rows.length === 0) io.out('No backup drive is configured.\n')
      else for (const r of rows) io.out(`${r.drive} (pool ${r.pool}): ${r.lastBackup ? `last backup ${duration((Date.now() - Date.parse(r.lastBackup)) / 1000)} ago` : 'never backed up'}${r.stale ? ' — due' : ''}\n`)
      return 0
    }
    if (command === 'history') {
      const runs = await readRuns(historyPath, Number(o.n ?? 10))
      if (o.json) for (const r of runs) io.out(JSON.stringify(r) + '\n')
      else for (const r of runs) io.out(`${r.startedAt} ${r.verb} ${r.drive ?? ''}: ${r.outcome} in ${duration(r.durationMs / 1000)}${r.error ? ` — ${r.error.message}` : ''}\n`)
      return 0
    }
    io.err(`unknown command "${command}"\n${usage}\n`)
    return 2
  } catch (err) {
    if (err instanceof ConfigError || err instanceof EngineError) {
      io.err(`✗ ${err.message}${err instanceof EngineError && err.hint ? `\n  ${err.hint}` : ''}\n`)
      return 1
    }
    throw err
  }
}

async function runBackup(config: Awaited<ReturnType<typeof loadConfig>>['config'], drive: string | undefined, historyPath: string, json: boolean, io: Io, signal: AbortSignal): Promise<number> {
  const titles = new Map<string, string>()
  let record: RunRecord | null = null
  let lastProgressLine = 0
  const emit = (e: RunEvent): void => {
    record = applyEvent(record, e)
    if (json) return io.out(JSON.stringify(e) + '\n')
    if (e.type === 'progress') {
      // A terminal gets a redrawn line; a log gets a line every 5 s.
      if (io.isTty) io.out(`\r\x1b[K${progressLine(e)}`)
      else if (Date.now() - lastProgressLine > 5000) {
        lastProgressLine = Date.now()
        io.out(progressLine(e) + '\n')
      }
      return
    }
    const line = formatEvent(e, titles)
    if (line) io.out(`${io.isTty ? '\r\x1b[K' : ''}${line}\n`)
  }
  const outcome = await backup({ config, ...(drive ? { driveName: drive } : {}), runner: new ExecaRunner(), emit, signal })
  if (record) await appendRun(record, historyPath)
  return outcome === 'succeeded' ? 0 : outcome === 'cancelled' ? 130 : 1
}
