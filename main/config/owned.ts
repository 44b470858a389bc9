// Reading a user's config as root (the backup-on-plug service, `auto enable` under sudo): the file must
// be that user's, a regular file (the last component no symlink, checked on the opened descriptor), not
// writable by group or others, at most 1 MiB; errors never quote its content (JSON.parse's would).
// The helper reads its job's config through this too (main/helper/config.ts maps the kind to its codes).
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { ConfigError, parseConfig } from './load'
import type { Config } from './schema'

export const MAX_CONFIG_BYTES = 1024 * 1024

/** Why a config was not read: it is not there, it is refused by the rules above, or it is not valid. */
export class OwnedConfigError extends ConfigError {
  constructor(
    file: string,
    readonly kind: 'missing' | 'refused' | 'invalid',
    problem: string,
  ) {
    super(file, [problem])
  }
}

/** ownerUid null: root reading its own job (the helper started by root directly), any owner is accepted. */
export async function readOwnedConfig(path: string, ownerUid: number | null): Promise<Config> {
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new OwnedConfigError(path, 'missing', 'no config there; set up or adopt a drive first')
    throw new OwnedConfigError(path, 'refused', code === 'ELOOP' ? 'is a symbolic link; as root only the file itself is read' : `cannot be opened (${code ?? 'error'})`)
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new OwnedConfigError(path, 'refused', 'is not a regular file')
    if (ownerUid !== null && st.uid !== ownerUid) throw new OwnedConfigError(path, 'refused', `is not owned by the user it is read for (uid ${ownerUid}; it is uid ${st.uid}'s)`)
    if (st.mode & 0o022) throw new OwnedConfigError(path, 'refused', 'is writable by group or others; run chmod go-w on it')
    if (st.size > MAX_CONFIG_BYTES) throw new OwnedConfigError(path, 'refused', `is larger than ${MAX_CONFIG_BYTES} bytes`)
    let data: unknown
    try {
      data = JSON.parse(await fh.readFile({ encoding: 'utf8' }))
    } catch {
      throw new OwnedConfigError(path, 'invalid', 'is not valid JSON')
    }
    return parseConfig(data, path)
  } finally {
    await fh.close()
  }
}
