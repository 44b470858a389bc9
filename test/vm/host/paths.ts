import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const projectRoot = resolve(import.meta.dirname, '../../..')
export const imageRecipe = join(projectRoot, 'test/vm/image/build.sh')
/** Caches live outside the repo so clean clones (and CI) on this machine reuse them. */
export const cacheDir = process.env.ZFSVM_CACHE ?? '/var/cache/zfs-drive-backup/vm'
export const sshKey = join(cacheDir, 'ssh/id_ed25519')
const runsDir = process.env.ZFSVM_RUNS ?? '/var/tmp/zfs-drive-backup-vm'

/** A fresh folder per VM boot; only the newest few are kept, for looking at after a failure. */
export function newRunDir(keep = 3): string {
  mkdirSync(runsDir, { recursive: true })
  const old = readdirSync(runsDir)
    .map((name) => join(runsDir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  for (const dir of old.slice(keep - 1)) rmSync(dir, { recursive: true, force: true })
  const dir = mkdtempSync(join(runsDir, 'run-'))
  mkdirSync(join(dir, 'share/drives'), { recursive: true })
  mkdirSync(join(dir, 'share/out'), { recursive: true })
  return dir
}
