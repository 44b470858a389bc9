// `zfs-drive-backup`: the engine from a terminal, for people who live in one and for scripts (--json
// prints the same events the tray app receives). Runs as root (sudo/doas), like the guide's alias.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, defaultConfigPath, loadConfig } from '../config/load'
import { emptyConfig } from '../config/schema'
import { EngineError } from '../engine/errors'
import { defaultHistoryPath } from '../history/store'
import { autoVerbs } from './auto-verbs'
import { backupVerbs } from './backup-verbs'
import { infoVerbs } from './info-verbs'
import { lifecycleVerbs } from './lifecycle-verbs'
import { guideVerbs } from './guide-verbs'
import { exitCodeFor } from './run-events'
import { EXIT, type Io, type CliCommand } from './command'

export type { Io }

/** Every verb, in --help order; the man page is generated from this table too (main/cli/manpage.ts). */
export const verbs: Record<string, CliCommand> = { ...infoVerbs, ...backupVerbs, ...lifecycleVerbs, ...guideVerbs, ...autoVerbs }

export const common = {
  config: { type: 'string' },
  history: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const COMMON_HELP = `  --config PATH   config file (default: $XDG_CONFIG_HOME/zfs-drive-backup/config.json)
  --history PATH  history file (default: $XDG_STATE_HOME/zfs-drive-backup/history.jsonl)
  --json          machine-readable output: one JSON event or object per line
  --help          help for a command: zfs-drive-backup <command> --help
  --version       print the version`

function usage(): string {
  const width = Math.max(...Object.keys(verbs).map((v) => v.length))
  return `usage: zfs-drive-backup <command> [options]

commands:
${Object.entries(verbs).filter(([, v]) => !v.internal).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`).join('\n')}

options for every command:
${COMMON_HELP}`
}

/** The app's package.json, a few folders up from this file (main/cli from source; out/main or one of its chunks built). */
export function appVersion(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === 'zfs-drive-backup' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // not there
    }
  }
  return 'unknown'
}

export async function main(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  const name = argv[0]
  if (name === '--version' || name === 'version') {
    io.out(`zfs-drive-backup ${appVersion()}\n`)
    return EXIT.ok
  }
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
    const { config } = verb.ownConfig ? { config: emptyConfig() } : await loadConfig(configPath)
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
