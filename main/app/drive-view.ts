// A drive card as the window gets it: the engine's status of the drive, where the drive is, and whether
// Back up now / Eject may be pressed (and if not, why in words).
import type { AutoBackupState, DrivePresence, DriveStatus } from '../../shared/wire'
import type { DriveConfig } from '../config/schema'
import { snapshotSummary, type DriveStatusReport } from '../engine/drive-status'
import { describeNextBase } from '../engine/next-base'
import { bytes } from '../engine/units'

export interface DriveViewInput {
  drive: DriveConfig
  status: DriveStatusReport
  staleAfterDays: number
  presence: DrivePresence
  busyHolders: DriveStatus['busyHolders']
  /** Why nothing may start (a run is in progress), or null. */
  busy: string | null
  /** Without a drive watcher the app cannot know whether a drive is plugged in: it lets the helper find out. */
  watching: boolean
  /** Backup on plug (engine/auto-switch.ts autoBackupState), and whether the helper can switch it. */
  autoBackup?: AutoBackupState
  autoSwitchable?: boolean
}

type Why = DriveStatus['canBackUp']

function canBackUp(i: DriveViewInput): Why {
  if (i.busy) return { ok: false, reason: i.busy }
  if (Object.keys(i.drive.targets).length === 0) return { ok: false, reason: 'This drive backs up no source yet.' }
  if (!i.watching) return { ok: true }
  if (i.presence === 'absent') return { ok: false, reason: `Plug in “${i.drive.name}”.` }
  if (i.presence === 'poweredOff') return { ok: false, reason: 'The drive is powered off: unplug it and plug it back in.' }
  return { ok: true }
}

function canEject(i: DriveViewInput): Why {
  if (i.busy) return { ok: false, reason: i.busy }
  if (i.presence === 'poweredOff') return { ok: false, reason: 'Already safe to unplug.' }
  if (i.watching && i.presence === 'absent') return { ok: false, reason: 'The drive is not connected.' }
  return { ok: true }
}

function canSwitchAuto(i: DriveViewInput): Why {
  if (i.busy) return { ok: false, reason: i.busy }
  if (!i.autoSwitchable) return { ok: false, reason: 'Backup on plug cannot be switched from the window in this version: sudo zfs-drive-backup auto enable --drive NAME.' }
  return { ok: true }
}

export function driveView(i: DriveViewInput): DriveStatus {
  const r = i.status
  return {
    name: i.drive.name,
    pool: i.drive.pool,
    presence: i.presence,
    lastBackupAt: r.lastBackupAt,
    stale: r.stale,
    staleAfterDays: i.staleAfterDays,
    lastScrub: r.lastScrub,
    scrubDue: r.scrubDue,
    snapshots: snapshotSummary(r),
    nextBackup: nextBackup(r),
    busyHolders: i.busyHolders,
    canBackUp: canBackUp(i),
    canEject: canEject(i),
    ...(i.autoBackup ? { autoBackup: { ...i.autoBackup, canChange: canSwitchAuto(i) } } : {}),
    ...(r.keyCheck ? { keyCheck: r.keyCheck } : {}),
  }
}

/** The engine's sentence per target whose base is known (the laptop's bookmarks were read); the source named when there are several. */
function nextBackup(r: DriveStatusReport): string[] | null {
  const known = r.targets.filter((t) => t.nextBase && t.nextBase.kind !== 'unknown')
  if (known.length === 0) return null
  return known.map((t) => `${r.targets.length > 1 ? `${t.source}: ` : ''}${describeNextBase(t.nextBase!, t.fullSendBytes ?? null, bytes)}`)
}
