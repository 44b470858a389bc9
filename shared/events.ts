// One schema for everything a pipeline reports. The CLI prints it, the privileged helper streams it as
// JSON lines, the tray app validates it from the helper and forwards it to the window, and the history
// is built from it. Nothing here may carry a secret.
import { z } from 'zod'

export const Verb = z.enum(['backup', 'eject', 'scrub', 'setup', 'adopt', 'restore-open', 'restore-close', 'verify-key', 'delegation-grant', 'delegation-revoke', 'snapshot-create', 'snapshot-destroy', 'auto'])
export type Verb = z.infer<typeof Verb>

export const Progress = z.object({
  bytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative().nullable(),
  bytesPerSecond: z.number().nonnegative().nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
})
export type Progress = z.infer<typeof Progress>

export const Holder = z.object({ pid: z.number().int(), command: z.string(), path: z.string() })

export const PoolState = z.enum(['imported', 'exported', 'powered-off'])
export type PoolState = z.infer<typeof PoolState>

/** A scrub's counts: repaired bytes, the scrub's own errors, the pool's data errors, per-device totals. */
export const ScrubSummary = z.object({
  pool: z.string(),
  repairedBytes: z.number().nonnegative(),
  errors: z.number().int().nonnegative(),
  dataErrors: z.number().int().nonnegative(),
  totals: z.object({ read: z.number().int().nonnegative(), write: z.number().int().nonnegative(), checksum: z.number().int().nonnegative() }),
})
export type ScrubSummary = z.infer<typeof ScrubSummary>

export const RunEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run-started'), runId: z.string(), verb: Verb, drive: z.string().nullable(), steps: z.array(z.object({ id: z.string(), title: z.string() })), at: z.iso.datetime() }),
  z.object({ type: z.literal('step-started'), step: z.string(), index: z.number().int().nonnegative(), at: z.iso.datetime() }),
  z.object({ type: z.literal('step-finished'), step: z.string(), outcome: z.enum(['ok', 'skipped', 'failed', 'cancelled']), durationMs: z.number().nonnegative(), note: z.string().optional() }),
  z.object({ type: z.literal('command'), step: z.string(), argv: z.array(z.string()) }),
  /** What a failed command printed (its tail, without progress lines): kept in the record, never the headline. */
  z.object({ type: z.literal('command-output'), step: z.string(), argv: z.array(z.string()), exitCode: z.number().int().nullable(), output: z.array(z.string()) }),
  z.object({ type: z.literal('progress'), step: z.string(), ...Progress.shape }),
  z.object({ type: z.literal('info'), step: z.string(), message: z.string() }),
  /** A verified copy: what the drive now holds, for status and history without importing the drive again. */
  z.object({ type: z.literal('replicated'), source: z.string(), target: z.string(), snapshot: z.string(), guid: z.string() }),
  /** setup/adopt: the drive as it belongs in the config. The unprivileged app saves it (root never writes the user's config). */
  z.object({ type: z.literal('drive-recorded'), drive: z.object({ name: z.string(), pool: z.string(), poolGuid: z.string(), disk: z.string(), targets: z.record(z.string(), z.string()) }) }),
  /** Backup on plug was switched for the drive (root's files are done): the unprivileged side records "autoBackup" in the user's config. */
  z.object({ type: z.literal('auto-backup'), drive: z.string(), on: z.boolean(), unit: z.string() }),
  /** The run imported, exported or powered off the drive's pool: where the drive now is, as a fact. */
  z.object({ type: z.literal('pool-state'), drive: z.string(), state: PoolState }),
  /** A finished scrub's result, for status and history. */
  z.object({ type: z.literal('scrub-result'), ...ScrubSummary.shape }),
  z.object({ type: z.literal('warning'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), hint: z.string().optional(), holders: z.array(Holder).optional() }),
  z.object({ type: z.literal('run-finished'), outcome: z.enum(['succeeded', 'failed', 'cancelled']), durationMs: z.number().nonnegative(), at: z.iso.datetime(), bytes: z.number().nonnegative() }),
])
export type RunEvent = z.infer<typeof RunEvent>

export type Emit = (event: RunEvent) => void
