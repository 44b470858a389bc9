// What the app shows and answers, as zod schemas: the tray's state, a drive's status, snapshot rows,
// doctor checks. Node- and Electron-free: main builds these, the IPC contract validates them, the
// renderer draws them.
import { z } from 'zod'
import { Holder, Progress, Verb } from './events'
import { RunRecord } from './run-record'

// Names that reach main are checked there again against the config; these only keep garbage out early.
export const DriveName = z.string().regex(/^[^\0\n]{1,64}$/, 'a drive name is 1–64 characters')
export const ZfsName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:\- /@]{0,254}$/, 'not a ZFS name')
export const ByIdPath = z.string().regex(/^\/dev\/disk\/by-id\/[^/\0]+$/, 'must be a /dev/disk/by-id/ path')

/**
 * absent: not plugged in. connected: plugged in, pool not imported. imported: pool in use (during a run,
 * or left imported). exported: plugged in and exported but still powered. poweredOff: safe to unplug.
 */
export const DrivePresence = z.enum(['absent', 'connected', 'imported', 'exported', 'poweredOff'])
export type DrivePresence = z.infer<typeof DrivePresence>

export const Why = z.object({ ok: z.boolean(), reason: z.string().optional() })

/** Backup on plug (the udev rule and service of `auto enable`): on only when the config and root's install agree; the note says what is off when they do not. */
export const AutoBackupState = z.object({ on: z.boolean(), note: z.string().nullable() })
export type AutoBackupState = z.infer<typeof AutoBackupState>
/** When the passphrase was last proven and whether a rehearsal is due (days: since then, or since first use). */
export const KeyCheck = z.object({ lastProvenAt: z.iso.datetime().nullable(), days: z.number().int().nullable(), due: z.boolean(), everyDays: z.number().int().positive() })
export type KeyCheck = z.infer<typeof KeyCheck>

/** One source's delegation for the invoking user: held, missing, and the exact commands grant/revoke run. */
export const SourceDelegation = z.object({
  dataset: z.string(),
  held: z.array(z.string()),
  missing: z.array(z.string()),
  revocable: z.array(z.string()),
  grant: z.array(z.string()).nullable(),
  revoke: z.array(z.string()).nullable(),
})
export type SourceDelegation = z.infer<typeof SourceDelegation>

export const Delegation = z.object({ user: z.string(), root: z.boolean(), sources: z.array(SourceDelegation), needs: z.array(z.object({ permission: z.string(), use: z.string() })) })
export type Delegation = z.infer<typeof Delegation>

export const DriveStatus = z.object({
  name: DriveName,
  pool: z.string(),
  presence: DrivePresence,
  lastBackupAt: z.iso.datetime().nullable(),
  /** No successful backup within the configured staleAfterDays. */
  stale: z.boolean(),
  staleAfterDays: z.number().int().positive(),
  lastScrub: z.object({ at: z.iso.datetime(), errors: z.number().int().nonnegative(), repairedBytes: z.number().nonnegative() }).nullable(),
  scrubDue: z.boolean(),
  /** Newest snapshot on the laptop vs on the drive (as of the last time the drive was read). */
  snapshots: z.object({ sourceNewest: z.string().nullable(), driveNewest: z.string().nullable(), missingOnDrive: z.number().int().nonnegative().nullable() }),
  /**
   * What the next backup starts from, and when it would have to be a full send (with its size), in words;
   * one line per source when the drive backs up several. Absent or null: not known yet.
   */
  nextBackup: z.array(z.string()).nullable().optional(),
  /** Processes that kept the pool busy at the last failed eject or export. */
  busyHolders: z.array(Holder).nullable(),
  canBackUp: Why,
  canEject: Why,
  /** The window's switch: the state, and whether it may be flipped now (and if not, why). */
  autoBackup: AutoBackupState.extend({ canChange: Why }).optional(),
  keyCheck: KeyCheck.optional(),
})
export type DriveStatus = z.infer<typeof DriveStatus>

export const RunStatus = z.object({
  id: z.string(),
  verb: Verb,
  drive: z.string().nullable(),
  steps: z.array(z.object({ id: z.string(), title: z.string(), outcome: z.enum(['pending', 'running', 'ok', 'skipped', 'failed', 'cancelled']) })),
  stepIndex: z.number().int().nonnegative(),
  /** The command running now, exactly as run. */
  command: z.array(z.string()).nullable(),
  progress: Progress.nullable(),
  /** No bytes moved for a while: the view hides the ETA. */
  stalled: z.boolean(),
  startedAt: z.iso.datetime(),
  cancellable: z.boolean(),
})
export type RunStatus = z.infer<typeof RunStatus>

export const AppState = z.object({
  configured: z.boolean(),
  sources: z.array(z.object({ dataset: z.string(), allowUnencrypted: z.boolean(), snapshotBeforeBackup: z.boolean().optional() })),
  drives: z.array(DriveStatus),
  run: RunStatus.nullable(),
  /** The last run's outcome, until the next one starts: the window shows "done — safe to unplug" or the error. */
  lastRun: RunRecord.nullable(),
  restore: z.object({ drive: DriveName, snapshotDir: z.string() }).nullable(),
  /** What is wrong with the app's own files (a config that does not load, an unreadable history), one sentence each. */
  problems: z.array(z.string()).optional(),
})
export type AppState = z.infer<typeof AppState>

export const Accepted = z.object({ accepted: z.boolean(), reason: z.string().optional() })
export type Accepted = z.infer<typeof Accepted>

export const SnapshotRow = z.object({ name: z.string(), createdAt: z.iso.datetime(), guid: z.string() })
export type SnapshotRow = z.infer<typeof SnapshotRow>

/** One snapshot on a source → target timeline: on the laptop, on the drive (null: the drive was not read). */
/** retention: on the drive, what its retention does with the snapshot at the next backup (absent: not on the drive, or not read). */
export const TimelineRow = z.object({ snapshot: z.string(), createdAt: z.iso.datetime(), guid: z.string(), onSource: z.boolean(), onDrive: z.boolean().nullable(), retention: z.enum(['keep', 'prune']).optional() })
export type TimelineRow = z.infer<typeof TimelineRow>

/** A configured source and its target on the drive, newest snapshot first. */
export const SnapshotTimeline = z.object({ source: z.string(), target: z.string(), rows: z.array(TimelineRow) })
export type SnapshotTimeline = z.infer<typeof SnapshotTimeline>

export const DiffEntry = z.object({ change: z.enum(['+', '-', 'M', 'R']), path: z.string(), newPath: z.string().optional() })
export type DiffEntry = z.infer<typeof DiffEntry>

export const DiskCandidate = z.object({
  byId: ByIdPath,
  model: z.string().nullable(),
  serial: z.string().nullable(),
  sizeBytes: z.number().nonnegative(),
  transport: z.string().nullable(),
  eligible: z.boolean(),
  /** Why a disk may not be formatted: holds the running system, mounted, swap, member of an imported pool. */
  reason: z.string().optional(),
})
export type DiskCandidate = z.infer<typeof DiskCandidate>

export const DoctorCheck = z.object({
  id: z.string(),
  title: z.string(),
  ok: z.boolean(),
  /** Warnings do not block a backup. */
  severity: z.enum(['error', 'warning']),
  detail: z.string(),
  fix: z.object({ debian: z.string().optional(), nixos: z.string().optional() }).optional(),
})
export type DoctorCheck = z.infer<typeof DoctorCheck>

export const SourceCandidate = z.object({ dataset: z.string(), encrypted: z.boolean(), encryptionRoot: z.string().nullable(), snapshots: z.number().int().nonnegative() })
export type SourceCandidate = z.infer<typeof SourceCandidate>
