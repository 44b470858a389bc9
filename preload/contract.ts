// The one IPC contract: main validates every request and reply against it, the preload exposes exactly
// these calls, and the renderer types its views from it. Everything here must stay Electron- and Node-free
// because it is bundled into the sandboxed preload and into the renderer.
import { z } from 'zod'
import { Holder, Progress, RunEvent, Verb } from '../shared/events'
import { RunRecord } from '../shared/run-record'
import {
  Accepted, AppState, AutoBackupState, ByIdPath, DiffEntry, DiskCandidate, DoctorCheck, DriveName, DrivePresence, DriveStatus, RunStatus, SnapshotRow, SnapshotTimeline, SourceCandidate, TimelineRow, Why, ZfsName,
  Delegation, KeyCheck, SourceDelegation,
} from '../shared/wire'

// The shared schemas the contract is made of, so the renderer imports its types from the contract alone.
export { Holder, Progress, RunEvent, RunRecord, Verb }
export { Delegation, KeyCheck, SourceDelegation }
export { Accepted, AppState, AutoBackupState, DiffEntry, DiskCandidate, DoctorCheck, DriveName, DrivePresence, DriveStatus, RunStatus, SnapshotRow, SnapshotTimeline, SourceCandidate, TimelineRow, Why }

const driveOnly = z.object({ drive: DriveName }).strict()

/** The desktop around the window: "Start at login", and whether a tray icon can be seen at all. */
export const DesktopInfo = z.object({ startAtLogin: z.boolean(), trayHost: z.boolean(), noTrayHint: z.string().nullable() })
export type DesktopInfo = z.infer<typeof DesktopInfo>

/** Request/response pairs the renderer may invoke. */
export const invokeContract = {
  'state:get': { request: z.undefined(), response: AppState },
  'doctor:get': { request: z.undefined(), response: z.array(DoctorCheck) },
  'sources:list': { request: z.undefined(), response: z.array(SourceCandidate) },
  'sources:set': { request: z.object({ datasets: z.array(ZfsName).min(1), allowUnencrypted: z.array(ZfsName).default([]) }).strict(), response: Accepted },
  'backup:start': { request: driveOnly, response: Accepted },
  'run:cancel': { request: z.undefined(), response: Accepted },
  'drive:eject': { request: driveOnly, response: Accepted },
  'history:list': { request: z.object({ limit: z.number().int().positive().max(500).default(50) }).strict(), response: z.array(RunRecord) },
  'snapshots:list': { request: driveOnly, response: z.object({ source: z.array(SnapshotRow), drive: z.array(SnapshotRow).nullable(), timelines: z.array(SnapshotTimeline), driveNote: z.string().optional() }) },
  'diff:get': { request: z.object({ dataset: ZfsName, from: z.string().min(1).max(255), to: z.string().min(1).max(255) }).strict(), response: z.object({ entries: z.array(DiffEntry) }) },
  'disks:list': { request: z.undefined(), response: z.array(DiskCandidate) },
  'setup:start': { request: z.object({ disk: ByIdPath, name: DriveName, confirm: z.string() }).strict(), response: Accepted },
  'adopt:start': { request: z.object({ pool: ZfsName, target: ZfsName, name: DriveName, failmodeContinue: z.boolean().default(true) }).strict(), response: Accepted },
  'scrub:start': { request: driveOnly, response: Accepted },
  // The passphrase travels in this one call only; main hands it to the helper's stdin and forgets it.
  'restore:open': { request: z.object({ drive: DriveName, passphrase: z.string().min(1).max(512) }).strict(), response: Accepted },
  'restore:file': { request: z.object({ drive: DriveName, snapshot: z.string().min(1).max(255), path: z.string().min(1).max(4096), to: z.string().min(1).max(4096), force: z.boolean().default(false) }).strict(), response: Accepted },
  'restore:close': { request: driveOnly, response: Accepted },
  'folder:choose': { request: z.undefined(), response: z.string().nullable() },
  'desktop:get': { request: z.undefined(), response: DesktopInfo },
  'autostart:set': { request: z.object({ enabled: z.boolean() }).strict(), response: Accepted },
  /** Backup on plug for a drive: through the privileged helper (auto enable|disable). */
  'auto:set': { request: z.object({ drive: DriveName, enabled: z.boolean() }).strict(), response: Accepted },
  // The guide's section 10 (issue 15). Delegation: what the user holds on each source, and the helper's
  // fixed grant/revoke of the app's own permission set (never a user or a permission from here).
  'delegation:get': { request: z.undefined(), response: Delegation },
  'delegation:grant': { request: z.object({ source: ZfsName.optional() }).strict(), response: Accepted },
  'delegation:revoke': { request: z.object({ source: ZfsName.optional() }).strict(), response: Accepted },
  // Snapshots by hand: of a configured source only; delete repeats the snapshot's name.
  'snapshot:create': { request: z.object({ source: ZfsName, name: z.string().min(1).max(200) }).strict(), response: Accepted },
  'snapshot:destroy': { request: z.object({ snapshot: ZfsName, confirm: z.string().max(255) }).strict(), response: Accepted },
  'source:snapshot-before-backup': { request: z.object({ dataset: ZfsName, enabled: z.boolean() }).strict(), response: Accepted },
  // Key rehearsal: the passphrase travels in this one call only, to the helper's stdin, like restore:open.
  'key:verify': { request: z.object({ drive: DriveName, passphrase: z.string().min(1).max(512) }).strict(), response: Accepted },
} as const

/** Events main pushes to the renderer. Progress is throttled to at most 10 a second. */
export const eventContract = {
  'state:changed': AppState,
  'run:event': RunEvent,
} as const

export type InvokeChannel = keyof typeof invokeContract
export type Request<C extends InvokeChannel> = z.input<(typeof invokeContract)[C]['request']>
export type Response<C extends InvokeChannel> = z.infer<(typeof invokeContract)[C]['response']>
export type EventChannel = keyof typeof eventContract
export type EventPayload<C extends EventChannel> = z.infer<(typeof eventContract)[C]>

/** What the preload exposes on `window.zfsBackup`. */
export interface BackupApi {
  invoke<C extends InvokeChannel>(channel: C, request: Request<C>): Promise<Response<C>>
  on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void
}

export const API_KEY = 'zfsBackup'
