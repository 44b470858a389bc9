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
  /** A scrub's result, when the run finished one. */
  scrub: ScrubSummary.optional(),
})
export type RunRecord = z.infer<typeof RunRecord>

export function recordFromEvents(events: readonly RunEvent[]): RunRecord | null {
  let rec: RunRecord | null = null
  for (const e of events) rec = applyEvent(rec, e)
  return rec
}

export function applyEvent(rec: RunRecord | null, e: RunEvent): RunRecord | null {
  if (e.type === 'run-started') {
    return {
      id: e.runId, verb: e.verb, drive: e.drive, startedAt: e.at, finishedAt: null, outcome: 'running', durationMs: 0, bytes: 0,
      steps: e.steps.map((s) => ({ id: s.id, title: s.title, outcome: 'pending', durationMs: 0, commands: [] })),
      warnings: [], error: null, replicated: [],
    }
  }
  if (!rec) return null
  const step = (id: string) => rec.steps.find((s) => s.id === id)
  switch (e.type) {
    case 'command':
      step(e.step)?.commands.push(e.argv)
      break
    case 'step-finished': {
      const s = step(e.step)
      if (s) Object.assign(s, { outcome: e.outcome, durationMs: e.durationMs }, e.note ? { note: e.note } : {})
      break
    }
    case 'progress':
      rec.bytes = Math.max(rec.bytes, e.bytes)
      break
    case 'replicated':
      rec.replicated.push({ source: e.source, target: e.target, snapshot: e.snapshot, guid: e.guid })
      break
    case 'scrub-result': {
      const { type: _type, ...summary } = e
      rec.scrub = summary
      break
    }
    case 'warning':
      rec.warnings.push({ code: e.code, message: e.message })
      break
    case 'error':
      rec.error ??= { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }
      break
    case 'run-finished':
      Object.assign(rec, { outcome: e.outcome, finishedAt: e.at, durationMs: e.durationMs, bytes: Math.max(rec.bytes, e.bytes) })
      break
  }
  return rec
}
