// A run's history entry, built from its events alone: the CLI, the helper's stream and the tray app all
// produce the same record, and it holds exactly what the events said (so never a secret).
import type { RunEvent } from '../engine/events'

import type { RunRecord } from './schema'

export type { RunRecord, StepRecord } from './schema'

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
