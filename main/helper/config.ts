// The helper loads the config itself, as root, from the path in the job, and validates it again with the
// same schema as the app: the job carries drive *names* only, and every pool, dataset and disk that reaches
// a root command comes out of this validated config.
//
// Reading as root on behalf of an ordinary user needs care: the path comes from the user's passwd entry
// (config/owner.ts), and the file is read with config/owned.ts's checks: theirs (so the helper can only
// be made to read a file the user could read anyway, never /etc/shadow), a regular file with no symlink
// anywhere on its path, not writable by group or others, at most 1 MiB (checked before reading); errors
// never quote its content.
import { ConfigError } from '../config/load'
import { MAX_CONFIG_BYTES, OwnedConfigError, readOwnedConfig } from '../config/owned'
import { invokingUser, userFiles } from '../config/owner'
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

/**
 * The config the helper reads and whose it is. Under pkexec (PKEXEC_UID set) the path is derived from
 * that user's passwd entry (~/.config/zfs-drive-backup/config.json), never walked from the job: a job
 * naming another file is refused. Started by root directly, the job's path is read as root's.
 */
export async function jobConfigSource(jobPath: string, env: NodeJS.ProcessEnv, passwdPath?: string): Promise<{ path: string; ownerUid: number | null; ownerGid: number | null }> {
  if (env.PKEXEC_UID === undefined) return { path: jobPath, ownerUid: null, ownerGid: null }
  let invoking
  try {
    invoking = await invokingUser({ PKEXEC_UID: env.PKEXEC_UID }, 0, passwdPath)
  } catch (err) {
    throw new JobConfigError('config-refused', (err as Error).message)
  }
  if (!invoking) return { path: jobPath, ownerUid: 0, ownerGid: 0 }
  const path = userFiles(invoking.user).configPath
  if (path !== jobPath) throw new JobConfigError('config-refused', `The helper reads only ${path} for ${invoking.user.name} (uid ${invoking.user.uid}), not ${jobPath}.`)
  return { path, ownerUid: invoking.user.uid, ownerGid: invoking.user.gid }
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
