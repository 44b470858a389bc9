// The one IPC contract: main validates every request and reply against it, the preload exposes exactly
// these calls, and the renderer types its views from it. Everything here must stay Electron- and Node-free
// because it is bundled into the sandboxed preload and into the renderer.
import { z } from 'zod'

// Drive names are config keys chosen by the user; they never reach a command line as-is.
export const DriveName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'a drive name is 1–64 letters, digits, spaces, . _ -')

export const DrivePresence = z.enum(['absent', 'connected', 'imported', 'exported', 'poweredOff'])

export const DriveStatus = z.object({
  name: DriveName,
  pool: z.string(),
  presence: DrivePresence,
  lastBackupAt: z.iso.datetime().nullable(),
})
export type DriveStatus = z.infer<typeof DriveStatus>

export const RunProgress = z.object({
  bytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative().nullable(),
  bytesPerSecond: z.number().nonnegative().nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
})

export const RunStatus = z.object({
  id: z.string(),
  drive: DriveName,
  step: z.string(),
  stepIndex: z.number().int().nonnegative(),
  stepCount: z.number().int().positive(),
  command: z.array(z.string()).nullable(),
  progress: RunProgress.nullable(),
})
export type RunStatus = z.infer<typeof RunStatus>

export const AppState = z.object({
  configured: z.boolean(),
  drives: z.array(DriveStatus),
  run: RunStatus.nullable(),
})
export type AppState = z.infer<typeof AppState>

export const Accepted = z.object({ accepted: z.boolean(), reason: z.string().optional() })

/** Request/response pairs the renderer may invoke. */
export const invokeContract = {
  'state:get': { request: z.undefined(), response: AppState },
  'backup:start': { request: z.object({ drive: DriveName }).strict(), response: Accepted },
  'run:cancel': { request: z.undefined(), response: Accepted },
  'drive:eject': { request: z.object({ drive: DriveName }).strict(), response: Accepted },
} as const

/** Events main pushes to the renderer. */
export const eventContract = {
  'state:changed': AppState,
} as const

export type InvokeChannel = keyof typeof invokeContract
export type Request<C extends InvokeChannel> = z.infer<(typeof invokeContract)[C]['request']>
export type Response<C extends InvokeChannel> = z.infer<(typeof invokeContract)[C]['response']>
export type EventChannel = keyof typeof eventContract
export type EventPayload<C extends EventChannel> = z.infer<(typeof eventContract)[C]>

/** What the preload exposes on `window.zfsBackup`. */
export interface BackupApi {
  invoke<C extends InvokeChannel>(channel: C, request: Request<C>): Promise<Response<C>>
  on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void
}

export const API_KEY = 'zfsBackup'
