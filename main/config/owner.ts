// Whose config and history a run uses (reading them as root on the user's behalf is owned.ts's).
//
// Run as root through sudo, doas or pkexec, the files are the invoking user's (the tray app wrote the
// config for them), found from their passwd entry, never from an environment the user controls (sudo -E
// and doas keepenv pass XDG_CONFIG_HOME and HOME through). Without such a variable, root reading a
// --config path reads it on behalf of that file's owner. The CLI, the privileged helper, `auto enable`
// and the backup-on-plug service ask this module who the user is.
import { lstat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { APP_DIR } from './load'

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

/** The environment names a user who does not exist. */
export class OwnerError extends Error {
  constructor(
    readonly code: 'config-refused',
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
