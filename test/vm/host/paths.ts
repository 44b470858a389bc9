import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const projectRoot = resolve(import.meta.dirname, '../../..')
export const imageRecipe = join(projectRoot, 'test/vm/image/build.sh')
/** Caches live outside the repo so clean clones (and CI) on this machine reuse them. */
export const cacheDir = process.env.ZFSVM_CACHE ?? '/var/cache/zfs-drive-backup/vm'
export const sshKey = join(cacheDir, 'ssh/id_ed25519')
const runsDir = process.env.ZFSVM_RUNS ?? '/var/tmp/zfs-drive-backup-vm'

/**
 * A fresh folder per VM boot; only the newest few are kept, for looking at after a failure. A folder whose
 * runner is still alive (another test run on this machine) is never removed: its guest's disks live there.
 */
export function newRunDir(keep = 3): string {
  mkdirSync(runsDir, { recursive: true })
  const old = readdirSync(runsDir)
    .map((name) => join(runsDir, name))
    .filter((dir) => !ownerAlive(dir))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  for (const dir of old.slice(keep - 1)) rmSync(dir, { recursive: true, force: true })
  const dir = mkdtempSync(join(runsDir, 'run-'))
  writeFileSync(join(dir, 'owner.pid'), String(process.pid))
  mkdirSync(join(dir, 'share/drives'), { recursive: true })
  mkdirSync(join(dir, 'share/out'), { recursive: true })
  return dir
}

function ownerAlive(dir: string): boolean {
  let pid: number
  try {
    pid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'))
  } catch {
    return false
  }
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
