// Reading a user's config as root: the one reader the CLI (sudo/doas/pkexec runs), the privileged helper,
// the backup-on-plug service and `auto enable` share. The file must be an absolute path with no symbolic
// link anywhere on it (checked on the opened descriptor: /proc/self/fd/N must lead back to the same path,
// so nothing can be swapped in between), a regular file, owned by the user it is read for, not writable
// by group or others, at most 1 MiB (checked before reading, and never more read). Errors never quote
// its content (JSON.parse's would).
import { constants } from 'node:fs'
import { open, readlink } from 'node:fs/promises'
import { normalize } from 'node:path'
import { ConfigError, parseConfig } from './load'
import type { Config } from './schema'

export const MAX_CONFIG_BYTES = 1024 * 1024

/** Why a config was not read: it is not there, it is refused by the rules above, or it is not valid. */
export class OwnedConfigError extends ConfigError {
  constructor(
    file: string,
    readonly kind: 'missing' | 'refused' | 'invalid',
    problem: string,
    readonly hint?: string,
  ) {
    super(file, [problem])
    this.name = 'OwnedConfigError'
  }

  /** The code the CLI and the helper report it under. */
  get code(): 'config-missing' | 'config-refused' | 'config-invalid' {
    return `config-${this.kind}`
  }
}

/**
 * The file's text, read with the checks above on behalf of `ownerUid` (null: root reading its own job,
 * the helper started by root directly: any owner is accepted, every other check still applies).
 */
export async function readOwnedFile(path: string, ownerUid: number | null, maxBytes = MAX_CONFIG_BYTES): Promise<string> {
  if (!path.startsWith('/') || normalize(path) !== path) throw new OwnedConfigError(path, 'refused', 'must be an absolute path without . or .. parts')
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new OwnedConfigError(path, 'missing', 'no config there', 'Set up or adopt a drive first (zfs-drive-backup setup, adopt, or the tray app).')
    if (code === 'ELOOP') throw new OwnedConfigError(path, 'refused', 'is a symbolic link; as root only the file itself is read', 'Replace the link with the file it points to.')
    throw new OwnedConfigError(path, 'refused', `cannot be opened (${code ?? 'error'})`)
  }
  try {
    const real = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => null)
    if (real !== null && real !== path) throw new OwnedConfigError(path, 'refused', `its path goes through a symbolic link (it is ${real}); as root only a path without links is read`, `Use --config ${real}, or replace the link.`)
    const st = await fh.stat()
    if (!st.isFile()) throw new OwnedConfigError(path, 'refused', `is not a regular file${st.isDirectory() ? ' (it is a folder)' : ''}`)
    if (ownerUid !== null && st.uid !== ownerUid) throw new OwnedConfigError(path, 'refused', `is owned by uid ${st.uid}, not by the user it is read for (uid ${ownerUid})`)
    if (st.mode & 0o022) throw new OwnedConfigError(path, 'refused', 'is writable by group or others', `Run chmod go-w ${path}.`)
    if (st.size > maxBytes) throw new OwnedConfigError(path, 'refused', `is ${st.size} bytes, more than a config can be (${maxBytes})`)
    // Read at most maxBytes + 1 even if the file grows after the check.
    const buf = Buffer.alloc(maxBytes + 1)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    if (bytesRead > maxBytes) throw new OwnedConfigError(path, 'refused', `is more than ${maxBytes} bytes`)
    return buf.subarray(0, bytesRead).toString('utf8')
  } finally {
    await fh.close()
  }
}

/** The config, read with readOwnedFile's checks and validated with the schema. */
export async function readOwnedConfig(path: string, ownerUid: number | null): Promise<Config> {
  const text = await readOwnedFile(path, ownerUid)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new OwnedConfigError(path, 'invalid', 'is not valid JSON')
  }
  return parseConfig(data, path)
}

/** As readOwnedConfig, but a missing file is the empty config (a user who has set nothing up yet). */
export async function loadOwnedConfig(path: string, ownerUid: number | null): Promise<{ config: Config; exists: boolean }> {
  try {
    return { config: await readOwnedConfig(path, ownerUid), exists: true }
  } catch (err) {
    if (err instanceof OwnedConfigError && err.kind === 'missing') return { config: parseConfig({ version: 1 }, path), exists: false }
    throw err
  }
}
