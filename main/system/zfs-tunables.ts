// OpenZFS module parameters the app sets. zfs_snapshot_no_setuid (OpenZFS 2.3+) makes the automounts
// under .zfs/snapshot nosuid: they ignore the temporary options a dataset is mounted with, so without it
// a setuid-root program inside a snapshot from a tampered drive would run as root.
import { readFile, writeFile } from 'node:fs/promises'

export const SNAPSHOT_NO_SETUID = '/sys/module/zfs/parameters/zfs_snapshot_no_setuid'

/** 'set' (now 1), 'already' (was 1), or 'unsupported' (an OpenZFS without the parameter). */
export async function ensureSnapshotNoSetuid(path = SNAPSHOT_NO_SETUID): Promise<'set' | 'already' | 'unsupported'> {
  const now = await readFile(path, 'utf8').catch(() => null)
  if (now === null) return 'unsupported'
  if (now.trim() === '1') return 'already'
  await writeFile(path, '1\n')
  return 'set'
}
