// The helper loads the config itself, as root, from the path in the job, and validates it again with the
// same schema as the app: the job carries drive *names* only, and every pool, dataset and disk that reaches
// a root command comes out of this validated config.
//
// Reading a path chosen by the caller as root needs care, because the caller is an ordinary user:
// - under pkexec (PKEXEC_UID set) the file must be owned by that user, so the helper can only be made to
//   read a file the user could read anyway (never /etc/shadow);
// - the final component must not be a symlink (O_NOFOLLOW), and the checks are made on the opened file
//   descriptor (fstat), so the file cannot be swapped between check and read;
// - it must be a regular file of at most 1 MiB, not writable by group or others;
// - errors never quote the file's content (JSON.parse's messages do, so they are replaced).
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { parseConfig } from '../config/load'
import type { Config } from '../config/schema'

export const MAX_CONFIG_BYTES = 1024 * 1024

export class JobConfigError extends Error {
  constructor(
    readonly code: 'config-invalid' | 'config-missing' | 'config-refused',
    message: string,
  ) {
    super(message)
  }
}

/** The invoking user under pkexec, or null when the helper was started by root directly. */
export function invokingUid(env: NodeJS.ProcessEnv): number | null {
  const raw = env.PKEXEC_UID
  if (raw === undefined) return null
  if (!/^\d+$/.test(raw)) throw new JobConfigError('config-refused', 'PKEXEC_UID is not a number')
  return Number(raw)
}

export async function readJobConfig(path: string, ownerUid: number | null): Promise<Config> {
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new JobConfigError('config-missing', `${path}: no config there; set up or adopt a drive first.`)
    if (code === 'ELOOP') throw new JobConfigError('config-refused', `${path}: is a symbolic link; the helper reads only the file itself.`)
    throw new JobConfigError('config-refused', `${path}: cannot be opened (${code ?? 'error'}).`)
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new JobConfigError('config-refused', `${path}: is not a regular file.`)
    if (ownerUid !== null && st.uid !== ownerUid) throw new JobConfigError('config-refused', `${path}: is not owned by the user who asked (uid ${ownerUid}).`)
    if (st.mode & 0o022) throw new JobConfigError('config-refused', `${path}: is writable by group or others; run chmod go-w on it.`)
    if (st.size > MAX_CONFIG_BYTES) throw new JobConfigError('config-refused', `${path}: is larger than ${MAX_CONFIG_BYTES} bytes.`)
    const text = await fh.readFile({ encoding: 'utf8' })
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      throw new JobConfigError('config-invalid', `${path}: is not valid JSON.`)
    }
    try {
      return parseConfig(data, path)
    } catch (err) {
      throw new JobConfigError('config-invalid', (err as Error).message)
    }
  } finally {
    await fh.close()
  }
}
