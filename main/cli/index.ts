// `zfs-drive-backup`: the engine from a terminal, for people who live in one and for scripts (--json
// prints the same events the tray app receives). Runs as root (sudo/doas), like the guide's alias.
import { parseArgs } from 'node:util'
import { ConfigError, defaultConfigPath, loadConfig } from '../config/load'
import { EngineError } from '../engine/errors'
import { defaultHistoryPath } from '../history/store'
import { backupVerbs } from './backup-verbs'
import { infoVerbs } from './info-verbs'
import { lifecycleVerbs } from './lifecycle-verbs'
import { exitCodeFor } from './run-events'
import { EXIT, type Io, type CliCommand } from './command'

export type { Io }

const verbs: Record<string, CliCommand> = { ...infoVerbs, ...backupVerbs, ...lifecycleVerbs }

const common = {
  config: { type: 'string' },
  history: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

function usage(): string {
  const width = Math.max(...Object.keys(verbs).map((v) => v.length))
  return `usage: zfs-drive-backup <command> [options]

commands:
${Object.entries(verbs).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`).join('\n')}

options for every command:
  --config PATH   config file (default: $XDG_CONFIG_HOME/zfs-drive-backup/config.json)
  --history PATH  history file (default: $XDG_STATE_HOME/zfs-drive-backup/history.jsonl)
  --json          machine-readable output: one JSON event or object per line
  --help          help for a command: zfs-drive-backup <command> --help`
}

export async function main(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  const name = argv[0]
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage() + '\n')
    return name ? EXIT.ok : EXIT.usage
  }
  const verb = verbs[name]
  if (!verb) {
    io.err(`unknown command "${name}"\n\n${usage()}\n`)
    return EXIT.usage
  }
  let parsed
  try {
    parsed = parseArgs({ args: argv.slice(1), allowPositionals: true, strict: true, options: { ...common, ...verb.options } })
  } catch (err) {
    io.err(`${(err as Error).message}\n\nusage: zfs-drive-backup ${verb.usage}\n`)
    return EXIT.usage
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (values.help) {
    io.out(`usage: zfs-drive-backup ${verb.usage}\n`)
    return EXIT.ok
  }
  const configPath = typeof values.config === 'string' ? values.config : defaultConfigPath()
  const historyPath = typeof values.history === 'string' ? values.history : defaultHistoryPath()
  try {
    const { config } = await loadConfig(configPath)
    return await verb.run({ config, configPath, historyPath, values, positionals: parsed.positionals, json: Boolean(values.json), io, signal })
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`✗ ${err.message}\n`)
      return EXIT.usage
    }
    if (err instanceof EngineError) {
      io.err(`✗ ${err.message}${err.hint ? `\n  ${err.hint}` : ''}\n`)
      return exitCodeFor('failed', err.code)
    }
    throw err
  }
}
