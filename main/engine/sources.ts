// Which datasets could be backed up: every filesystem outside the backup drives' pools, whether it is
// encrypted (an unencrypted one needs allowUnencrypted) and how many snapshots sanoid has taken of it.
import type { Config } from '../config/schema'
import type { SourceCandidate } from '../../shared/wire'
import type { Runner } from '../system/runner'
import { countSnapshots, listAllSnapshotsArgv, listFilesystemsArgv, parseFilesystemList } from '../system/zfs'
import { poolOf } from '../system/names'

export function sourceCandidates(filesystems: string, snapshots: string, config: Config): SourceCandidate[] {
  const counts = countSnapshots(snapshots)
  const drivePools = new Set(config.drives.map((d) => d.pool))
  return parseFilesystemList(filesystems)
    .filter((fs) => !drivePools.has(poolOf(fs.name)))
    .map((fs) => ({ dataset: fs.name, encrypted: fs.encryption !== 'off', encryptionRoot: fs.encryptionRoot, snapshots: counts.get(fs.name) ?? 0 }))
}

export async function listSourceCandidates(runner: Runner, config: Config): Promise<SourceCandidate[]> {
  const fs = await runner.run(listFilesystemsArgv())
  // No snapshots at all is not a failure: every count is then 0.
  const snaps = await runner.run(listAllSnapshotsArgv(), { allowFailure: true })
  return sourceCandidates(fs.stdout, snaps.exitCode === 0 ? snaps.stdout : '', config)
}
