// The history record's schema, Node-free: the window receives records over IPC and validates them.
import { z } from 'zod'
import { Verb } from '../engine/events'

export const StepRecord = z.object({
  id: z.string(),
  title: z.string(),
  outcome: z.enum(['pending', 'ok', 'skipped', 'failed', 'cancelled']),
  durationMs: z.number().nonnegative(),
  note: z.string().optional(),
  commands: z.array(z.array(z.string())),
})
export type StepRecord = z.infer<typeof StepRecord>

export const RunRecord = z.object({
  id: z.string(),
  verb: Verb,
  drive: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  durationMs: z.number().nonnegative(),
  bytes: z.number().nonnegative(),
  steps: z.array(StepRecord),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).nullable(),
  /** Newest snapshot verified on the drive per target, when the run got that far. */
  replicated: z.array(z.object({ source: z.string(), target: z.string(), snapshot: z.string(), guid: z.string() })).default([]),
  /** Run by the backup-on-plug service, with nobody watching. */
  headless: z.boolean().optional(),
  /** For a headless run: whether its done/failed notification reached a desktop session. */
  notified: z.boolean().optional(),
})
export type RunRecord = z.infer<typeof RunRecord>
