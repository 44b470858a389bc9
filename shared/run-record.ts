// A run's history record: its schema (Node-free: the window receives records over IPC and validates them)
// and how it is built from the run's events alone. The CLI, the helper's stream and the tray app all
// produce the same record, and it holds exactly what the events said (so never a secret).
import { z } from 'zod'
import { ScrubSummary, Verb, type RunEvent } from './events'

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
  /** A scrub's result, when the run finished one. */
  scrub: ScrubSummary.optional(),
})
export type RunRecord = z.infer<typeof RunRecord>

export function recordFromEvents(events: readonly RunEvent[]): RunRecord | null {
  let rec: RunRecord | null = null
  for (const e of events) rec = applyEvent(rec, e)
  return rec
}

/** The record after one more event. Never changes `rec`: the window keeps the fold in React state. */
export function applyEvent(rec: RunRecord | null, e: RunEvent): RunRecord | null {
  if (e.type === 'run-started') {
    return {
      id: e.runId, verb: e.verb, drive: e.drive, startedAt: e.at, finishedAt: null, outcome: 'running', durationMs: 0, bytes: 0,
      steps: e.steps.map((s) => ({ id: s.id, title: s.title, outcome: 'pending', durationMs: 0, commands: [] })),
      warnings: [], error: null, replicated: [],
    }
  }
  if (!rec) return null
  const step = (id: string, change: (s: StepRecord) => StepRecord): RunRecord => ({ ...rec, steps: rec.steps.map((s) => (s.id === id ? change(s) : s)) })
  switch (e.type) {
    case 'command':
      return step(e.step, (s) => ({ ...s, commands: [...s.commands, e.argv] }))
    case 'step-finished':
      return step(e.step, (s) => ({ ...s, outcome: e.outcome, durationMs: e.durationMs, ...(e.note ? { note: e.note } : {}) }))
    case 'progress':
      return e.bytes > rec.bytes ? { ...rec, bytes: e.bytes } : rec
    case 'replicated':
      return { ...rec, replicated: [...rec.replicated, { source: e.source, target: e.target, snapshot: e.snapshot, guid: e.guid }] }
    case 'scrub-result': {
      const { type: _type, ...summary } = e
      return { ...rec, scrub: summary }
    }
    case 'warning':
      return { ...rec, warnings: [...rec.warnings, { code: e.code, message: e.message }] }
    case 'error':
      return rec.error ? rec : { ...rec, error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } }
    case 'run-finished':
      return { ...rec, outcome: e.outcome, finishedAt: e.at, durationMs: e.durationMs, bytes: Math.max(rec.bytes, e.bytes) }
    default:
      return rec
  }
}
