// Whose config and history a run uses, and reading a file as root on a user's behalf.
//
// Run as root through sudo, doas or pkexec, the files are the invoking user's (the tray app wrote the
// config for them), found from their passwd entry, never from an environment the user controls (sudo -E
// and doas keepenv pass XDG_CONFIG_HOME and HOME through). Without such a variable, root reading a
// --config path reads it on behalf of that file's owner. Reading then applies the checks below; the CLI,
// the privileged helper and any headless service share them.
import { constants } from 'node:fs'
import { lstat, open, readFile, readlink } from 'node:fs/promises'
import { join, normalize } from 'node:path'
import { APP_DIR, ConfigError, parseConfig } from './load'
import type { Config } from './schema'

export const MAX_CONFIG_BYTES = 1024 * 1024

export interface UserAccount {
  name: string
  uid: number
  gid: number
  home: string
}

/** One passwd(5) line per account: name:x:uid:gid:gecos:home:shell. */
export function parsePasswd(text: string): UserAccount[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':')
    if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!) || !f[5]!.startsWith('/')) return []
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }]
  })
}

export async function lookupUser(who: { uid: number } | { name: string }, passwdPath = '/etc/passwd'): Promise<UserAccount | null> {
  const users = parsePasswd(await readFile(passwdPath, 'utf8').catch(() => ''))
  return users.find((u) => ('uid' in who ? u.uid === who.uid : u.name === who.name)) ?? null
}

export class OwnerError extends Error {
  constructor(
    readonly code: 'config-refused' | 'config-missing' | 'config-invalid',
    message: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}

export type InvokedVia = 'SUDO_UID' | 'DOAS_USER' | 'PKEXEC_UID'

/**
 * The user who ran us as root: sudo sets SUDO_UID, doas DOAS_USER, pkexec PKEXEC_UID. Null when not
 * root, or root without any of them (a root login). A variable that names no account is refused.
 */
export async function invokingUser(env: NodeJS.ProcessEnv, euid: number, passwdPath?: string): Promise<{ user: UserAccount; via: InvokedVia } | null> {
  if (euid !== 0) return null
  for (const via of ['PKEXEC_UID', 'SUDO_UID', 'DOAS_USER'] as const) {
    const raw = env[via]
    if (raw === undefined || raw === '') continue
    const who = via === 'DOAS_USER' ? (/^[a-z_][a-z0-9_.-]*\$?$/i.test(raw) ? { name: raw } : null) : /^\d+$/.test(raw) ? { uid: Number(raw) } : null
    const user = who && (await lookupUser(who, passwdPath))
    if (!user) throw new OwnerError('config-refused', `${via}=${raw.slice(0, 40)} names no user account.`)
    // Root acting as root (sudo from a root shell) is a root run with root's own files.
    if (user.uid === 0) return null
    return { user, via }
  }
  return null
}

/** Where the tray app keeps a user's files, from their home (no XDG variables: they are the caller's). */
export function userFiles(user: Pick<UserAccount, 'home'>): { configPath: string; historyPath: string } {
  return {
    configPath: join(user.home, '.config', APP_DIR, 'config.json'),
    historyPath: join(user.home, '.local', 'state', APP_DIR, 'history.jsonl'),
  }
}

/**
 * Reads a small file on behalf of `ownerUid` (null: no owner check). Refuses a path with a symlink
 * anywhere on it (checked on the opened descriptor: /proc/self/fd/N must lead back to the same path, so
 * nothing can be swapped in between), a file that is not regular, not owned by that user, writable by
 * group or others, or larger than maxBytes (checked before reading). Errors never quote the content.
 */
export async function readOwnedFile(path: string, ownerUid: number | null, maxBytes = MAX_CONFIG_BYTES): Promise<string> {
  if (!path.startsWith('/') || normalize(path) !== path) throw new OwnerError('config-refused', `${path}: must be an absolute path without . or .. parts.`)
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new OwnerError('config-missing', `${path}: no config there.`, 'Set up or adopt a drive first (zfs-drive-backup setup, adopt, or the tray app).')
    if (code === 'ELOOP') throw new OwnerError('config-refused', `${path}: is a symbolic link; as root only the file itself is read.`, 'Replace the link with the file it points to.')
    throw new OwnerError('config-refused', `${path}: cannot be opened (${code ?? 'error'}).`)
  }
  try {
    const real = await readLinkOf(fh.fd)
    if (real !== null && real !== path) throw new OwnerError('config-refused', `${path}: its path goes through a symbolic link (it is ${real}); as root only a path without links is read.`, `Use --config ${real}, or replace the link.`)
    const st = await fh.stat()
    if (!st.isFile()) throw new OwnerError('config-refused', `${path}: is not a regular file${st.isDirectory() ? ' (it is a folder)' : ''}.`)
    if (ownerUid !== null && st.uid !== ownerUid) throw new OwnerError('config-refused', `${path}: is owned by uid ${st.uid}, not by the user it is read for (uid ${ownerUid}).`)
    if (st.mode & 0o022) throw new OwnerError('config-refused', `${path}: is writable by group or others.`, `Run chmod go-w ${path}.`)
    if (st.size > maxBytes) throw new OwnerError('config-refused', `${path}: is ${st.size} bytes, more than a config can be (${maxBytes}).`)
    // Read at most maxBytes + 1 even if the file grows after the check.
    const buf = Buffer.alloc(maxBytes + 1)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    if (bytesRead > maxBytes) throw new OwnerError('config-refused', `${path}: is more than ${maxBytes} bytes.`)
    return buf.subarray(0, bytesRead).toString('utf8')
  } finally {
    await fh.close()
  }
}

async function readLinkOf(fd: number): Promise<string | null> {
  return readlink(`/proc/self/fd/${fd}`).catch(() => null)
}

/** A config read with readOwnedFile's checks, validated with the schema; a missing file is the empty config. */
export async function loadOwnedConfig(path: string, ownerUid: number | null): Promise<{ config: Config; exists: boolean }> {
  let text: string
  try {
    text = await readOwnedFile(path, ownerUid)
  } catch (err) {
    if (err instanceof OwnerError && err.code === 'config-missing') return { config: parseConfig({ version: 1 }, path), exists: false }
    throw err
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new ConfigError(path, ['is not valid JSON'])
  }
  return { config: parseConfig(data, path), exists: true }
}

export interface UserFiles {
  configPath: string
  historyPath: string
  /** Whose files these are when running as root for someone (their uid owns config and history). */
  owner: UserAccount | null
  via: InvokedVia | '--config' | null
}

/**
 * The config and history a CLI run uses. Not root: the flags or the XDG defaults, as the user wants.
 * Root for someone (sudo, doas, pkexec): that user's files from their passwd entry, or the flags, read
 * and written on their behalf. Root alone with --config: on behalf of the config file's owner.
 */
export async function resolveUserFiles(o: { env: NodeJS.ProcessEnv; euid: number; config?: string; history?: string; defaults: { configPath: string; historyPath: string }; passwdPath?: string }): Promise<UserFiles> {
  if (o.euid !== 0) return { configPath: o.config ?? o.defaults.configPath, historyPath: o.history ?? o.defaults.historyPath, owner: null, via: null }
  const invoking = await invokingUser(o.env, o.euid, o.passwdPath)
  if (invoking) {
    const mine = userFiles(invoking.user)
    return { configPath: o.config ?? mine.configPath, historyPath: o.history ?? mine.historyPath, owner: invoking.user, via: invoking.via }
  }
  if (o.config) {
    const st = await lstat(o.config).catch(() => null)
    const owner = st && st.uid !== 0 ? await lookupUser({ uid: st.uid }, o.passwdPath) : null
    if (owner) return { configPath: o.config, historyPath: o.history ?? userFiles(owner).historyPath, owner, via: '--config' }
  }
  return { configPath: o.config ?? o.defaults.configPath, historyPath: o.history ?? o.defaults.historyPath, owner: null, via: null }
}
