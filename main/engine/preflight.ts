// What every pipeline on a drive checks before it touches anything: which configured drive is meant,
// and that it runs as root.
import type { Config, DriveConfig } from '../config/schema'
import { EngineError } from './errors'

/** The drive a run is for: the named one, or the only one configured. */
export function pickDrive(config: Config, name?: string): DriveConfig {
  if (config.drives.length === 0) throw new EngineError('drive-unknown', 'No backup drive is configured.', 'Set one up (zfs-drive-backup setup) or adopt one (zfs-drive-backup adopt).')
  if (!name) {
    if (config.drives.length > 1) throw new EngineError('drive-unknown', `Several drives are configured (${config.drives.map((d) => d.name).join(', ')}); say which with --drive.`)
    return config.drives[0]!
  }
  const d = config.drives.find((x) => x.name === name)
  if (!d) throw new EngineError('drive-unknown', `No drive named "${name}" is configured (known: ${config.drives.map((x) => x.name).join(', ')}).`)
  return d
}

/** `does` says what needs root: "A scrub imports the pool" → "A scrub imports the pool, which needs root." */
export function requireRoot(does: string, hint = 'Run it with sudo or doas.'): void {
  if (process.getuid?.() !== 0) throw new EngineError('not-root', `${does}, which needs root.`, hint)
}
