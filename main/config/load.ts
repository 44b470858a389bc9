// Loading and saving config.json. Errors name the field path and the rule
// (`drives[0].poolGuid: must be a decimal pool GUID`) so a hand-edited file can be fixed from the message.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { z } from 'zod'
import { type Config, configSchema, emptyConfig } from './schema'

export const APP_DIR = 'zfs-drive-backup'

/** $XDG_CONFIG_HOME/zfs-drive-backup/config.json, falling back to ~/.config (XDG says: only absolute paths count). */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const xdg = env.XDG_CONFIG_HOME
  const base = xdg && xdg.startsWith('/') ? xdg : join(home, '.config')
  return join(base, APP_DIR, 'config.json')
}

/** `drives[0].targets["tank/data"]`: array indices in brackets, keys that aren't identifiers quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p
    else out += `[${JSON.stringify(String(p))}]`
  }
  return out || '(config)'
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
    case 'invalid_type':
      // zod reports a missing field as invalid_type with "received undefined".
      if (/received undefined/.test(issue.message)) return 'is required'
      return issue.message.startsWith('Invalid input') ? `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}` : issue.message
    case 'invalid_value':
      return issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` : issue.message
    default:
      return issue.message
  }
}

/** One line per issue, `field.path: rule`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${describeIssue(i)}`)
}

export class ConfigError extends Error {
  constructor(
    readonly file: string | null,
    readonly problems: readonly string[],
  ) {
    super(`${file ? `${file}: ` : ''}${problems.length === 1 ? problems[0] : `\n  ${problems.join('\n  ')}`}`)
    this.name = 'ConfigError'
  }
}

/** Validates already-parsed JSON; throws ConfigError listing every problem. */
export function parseConfig(data: unknown, file: string | null = null): Config {
  const r = configSchema.safeParse(data)
  if (!r.success) throw new ConfigError(file, formatIssues(r.error))
  return r.data
}

export interface LoadedConfig {
  config: Config
  path: string
  /** False on first start: nothing on disk yet, so the empty config is returned. */
  exists: boolean
}

export async function loadConfig(path = defaultConfigPath()): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { config: emptyConfig(), path, exists: false }
    throw e
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new ConfigError(path, [`is not valid JSON (${(e as Error).message})`])
  }
  return { config: parseConfig(data, path), path, exists: true }
}

/**
 * Validates, then writes atomically: a temporary file in the same directory, fsynced, renamed over the
 * old one. A crash leaves either the old or the new config, never half of one.
 */
export async function saveConfig(config: unknown, path = defaultConfigPath()): Promise<Config> {
  const valid = parseConfig(config, path)
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fh = await open(tmp, 'wx', 0o600)
  try {
    await fh.writeFile(`${JSON.stringify(valid, null, 2)}\n`, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await rename(tmp, path)
  } catch (e) {
    await rm(tmp, { force: true })
    throw e
  }
  return valid
}
