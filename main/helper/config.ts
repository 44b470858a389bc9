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
import { ConfigError } from '../config/load'
import { MAX_CONFIG_BYTES, OwnedConfigError, readOwnedConfig } from '../config/owned'
import type { Config } from '../config/schema'

export { MAX_CONFIG_BYTES }

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

/** The config layer's reader (main/config/owned.ts), its refusals as the helper's error codes. */
export async function readJobConfig(path: string, ownerUid: number | null): Promise<Config> {
  try {
    return await readOwnedConfig(path, ownerUid)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const kind = err instanceof OwnedConfigError ? err.kind : 'invalid'
    throw new JobConfigError(kind === 'missing' ? 'config-missing' : kind === 'refused' ? 'config-refused' : 'config-invalid', err.message)
  }
}
