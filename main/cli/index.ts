// `zfs-drive-backup`: the engine from a terminal, for people who live in one and for scripts (--json
// prints the same events the tray app receives). Runs as root (sudo/doas), like the guide's alias.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultConfigPath, loadConfig } from '../config/load'
import { loadOwnedConfig } from '../config/owned'
import { resolveUserFiles } from '../config/owner'
import { emptyConfig } from '../config/schema'
import { describeError, printError } from './errors'
import { defaultHistoryPath } from '../history/store'
import { allVerbs, loadVerb, VERB_TABLE } from './verb-tables'
import { EXIT, type Io, type CliCommand } from './command'

export type { Io }

export { allVerbs }

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

function usage(verbs: Record<string, CliCommand>): string {
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
  const json = argv.includes('--json')
  if (name === '--version' || name === 'version') {
    io.out(`zfs-drive-backup ${appVersion()}\n`)
    return EXIT.ok
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage(await allVerbs()) + '\n')
    return name ? EXIT.ok : EXIT.usage
  }
  const verb = await loadVerb(name)
  if (!verb) {
    printError(io, json, { code: 'usage', message: `Unknown command "${name.slice(0, 40)}".`, hint: `zfs-drive-backup --help lists them: ${Object.keys(VERB_TABLE).join(', ')}`, exitCode: EXIT.usage })
    return EXIT.usage
  }
  let parsed
  try {
    parsed = parseArgs({ args: argv.slice(1), allowPositionals: true, strict: true, options: { ...common, ...verb.options } })
  } catch (err) {
    printError(io, json, { code: 'usage', message: (err as Error).message.split('\n')[0]!, hint: `usage: zfs-drive-backup ${verb.usage.split('\n')[0]}`, exitCode: EXIT.usage })
    return EXIT.usage
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (values.help) {
    io.out(`usage: zfs-drive-backup ${verb.usage}\n`)
    return EXIT.ok
  }
  try {
    const files = await resolveUserFiles({
      env: process.env, euid: process.geteuid?.() ?? -1,
      ...(typeof values.config === 'string' ? { config: absolute(values.config) } : {}),
      ...(typeof values.history === 'string' ? { history: absolute(values.history) } : {}),
      defaults: { configPath: defaultConfigPath(), historyPath: defaultHistoryPath() },
    })
    // As root, a file is read on behalf of the user it belongs to (or root), with the helper's checks.
    const root = process.geteuid?.() === 0
    const { config } = verb.ownConfig ? { config: emptyConfig() } : root ? await loadOwnedConfig(files.configPath, files.owner?.uid ?? 0) : await loadConfig(files.configPath)
    const owner = files.owner ? { uid: files.owner.uid, gid: files.owner.gid, name: files.owner.name } : null
    return await verb.run({ config, configPath: files.configPath, historyPath: files.historyPath, owner, values, positionals: parsed.positionals, json: Boolean(values.json), io, signal })
  } catch (err) {
    const e = describeError(err)
    printError(io, json, e)
    return e.exitCode
  }
}

const absolute = (p: string): string => resolve(p)
