// Loading and saving config.json. Errors name the field path and the rule
// (`drives[0].poolGuid: must be a decimal pool GUID`) so a hand-edited file can be fixed from the message.
import { randomBytes } from 'node:crypto'
import { chown, lstat, mkdir, open, rename, rm } from 'node:fs/promises'
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

/** A config is a few KiB: anything past this is refused before it is read. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

export async function loadConfig(path = defaultConfigPath()): Promise<LoadedConfig> {
  let text: string
  let fh
  try {
    fh = await open(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { config: emptyConfig(), path, exists: false }
    throw new ConfigError(path, [code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be opened (${code ?? String(e)})`])
  }
  try {
    const st = await fh.stat()
    if (st.isDirectory()) throw new ConfigError(path, ['is a folder, not a config file'])
    if (!st.isFile()) throw new ConfigError(path, ['is not a regular file'])
    if (st.size > MAX_CONFIG_FILE_BYTES) throw new ConfigError(path, [`is ${st.size} bytes; a config is at most ${MAX_CONFIG_FILE_BYTES}`])
    const buf = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    if (bytesRead > MAX_CONFIG_FILE_BYTES) throw new ConfigError(path, [`is more than ${MAX_CONFIG_FILE_BYTES} bytes`])
    text = buf.subarray(0, bytesRead).toString('utf8')
  } finally {
    await fh.close()
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    // JSON.parse quotes the text around the error; keep only where it is.
    const at = /position \d+(?: \(line \d+ column \d+\))?/.exec((e as Error).message)?.[0]
    throw new ConfigError(path, [`is not valid JSON${at ? ` (at ${at})` : ''}`])
  }
  return { config: parseConfig(data, path), path, exists: true }
}

/**
 * Validates, then writes atomically: a temporary file in the same directory, fsynced, renamed over the
 * old one. A crash leaves either the old or the new config, never half of one.
 */
export async function saveConfig(config: unknown, path = defaultConfigPath(), owner: { uid: number; gid: number } | null = null): Promise<Config> {
  const valid = parseConfig(config, path)
  const dir = dirname(path)
  const existed = await lstat(dir).then(() => true, () => false)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // Root saving a user's config (sudo zfs-drive-backup setup): the folder and the file stay theirs.
  if (owner && !existed) await chown(dir, owner.uid, owner.gid)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fh = await open(tmp, 'wx', 0o600)
  try {
    if (owner) await fh.chown(owner.uid, owner.gid)
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
