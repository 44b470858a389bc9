// Reading a user's config as root (the backup-on-plug service, `auto enable` under sudo): the file must
// be that user's, a regular file (the last component no symlink, checked on the opened descriptor), not
// writable by group or others, at most 1 MiB; errors never quote its content (JSON.parse's would).
// (Same rules as the helper's main/helper/config.ts, which the CLI may not import.)
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { ConfigError, parseConfig } from './load'
import type { Config } from './schema'

const MAX_BYTES = 1024 * 1024

export async function readOwnedConfig(path: string, ownerUid: number): Promise<Config> {
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(path, [code === 'ENOENT' ? 'no config there; set up or adopt a drive first' : code === 'ELOOP' ? 'is a symbolic link; as root only the file itself is read' : `cannot be opened (${code ?? 'error'})`])
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new ConfigError(path, ['is not a regular file'])
    if (st.uid !== ownerUid) throw new ConfigError(path, [`is owned by uid ${st.uid}, not by the user it is read for (uid ${ownerUid})`])
    if (st.mode & 0o022) throw new ConfigError(path, ['is writable by group or others; run chmod go-w on it'])
    if (st.size > MAX_BYTES) throw new ConfigError(path, [`is larger than ${MAX_BYTES} bytes`])
    let data: unknown
    try {
      data = JSON.parse(await fh.readFile({ encoding: 'utf8' }))
    } catch {
      throw new ConfigError(path, ['is not valid JSON'])
    }
    return parseConfig(data, path)
  } finally {
    await fh.close()
  }
}
