// A run's events folded once, for everyone who follows a run: the history keeps `record`; the app's
// run status and the window's run feed show the rest while the run goes (the step running now, the
// command running now, its progress, the messages, the first error with the processes it names).
// Pure and immutable: the window keeps it in React state.
import type { Progress, RunEvent } from './events'
import { applyEvent, type RunRecord } from './run-record'

export type StepOutcome = RunRecord['steps'][number]['outcome'] | 'running'

export interface RunFold {
  record: RunRecord
  /** The step running now. */
  running: string | null
  stepIndex: number
  /** The command running now, exactly as run; null between commands. */
  command: string[] | null
  /** The running step's bytes; null when it reports none. */
  progress: Progress | null
  /** Info and warning lines for people, the newest MAX_MESSAGES. */
  messages: { kind: 'info' | 'warning'; text: string }[]
  error: Extract<RunEvent, { type: 'error' }> | null
  finished: Extract<RunEvent, { type: 'run-finished' }> | null
}

/** Keep the log bounded: a long run's info lines must not grow without end. */
export const MAX_MESSAGES = 200

const say = (f: RunFold, kind: 'info' | 'warning', text: string): RunFold['messages'] => [...f.messages, { kind, text }].slice(-MAX_MESSAGES)

/** The fold after one more event; events before a run-started are not part of any run. */
export function foldRun(f: RunFold | null, e: RunEvent): RunFold | null {
  const record = applyEvent(f?.record ?? null, e)
  if (!record) return null
  if (e.type === 'run-started' || !f) return { record, running: null, stepIndex: 0, command: null, progress: null, messages: [], error: null, finished: null }
  const next: RunFold = { ...f, record }
  switch (e.type) {
    case 'step-started':
      return { ...next, running: e.step, stepIndex: e.index, command: null, progress: null }
    case 'step-finished':
      return { ...next, running: f.running === e.step ? null : f.running }
    case 'command':
      return { ...next, command: e.argv }
    case 'progress':
      return { ...next, progress: { bytes: e.bytes, totalBytes: e.totalBytes, bytesPerSecond: e.bytesPerSecond, etaSeconds: e.etaSeconds } }
    case 'info':
      return { ...next, messages: say(f, 'info', e.message) }
    case 'warning':
      return { ...next, messages: say(f, 'warning', e.message) }
    case 'replicated':
      return { ...next, messages: say(f, 'info', `${e.target} now holds @${e.snapshot} (verified)`) }
    case 'drive-recorded':
      return { ...next, messages: say(f, 'info', `Drive “${e.drive.name}” recorded: pool ${e.drive.pool} on ${e.drive.disk.split('/').at(-1) ?? e.drive.disk}`) }
    case 'error':
      return { ...next, error: f.error ?? e }
    case 'run-finished':
      return { ...next, running: null, command: null, finished: e }
    default:
      return next
  }
}

/** Each step with its outcome, the running one marked so. */
export function stepsOf(f: RunFold): { id: string; title: string; outcome: StepOutcome; note?: string }[] {
  return f.record.steps.map((s) => ({ id: s.id, title: s.title, outcome: s.id === f.running ? 'running' : s.outcome, ...(s.note ? { note: s.note } : {}) }))
}

/** Every command in the order it ran. */
export function commandsOf(f: RunFold): { step: string; argv: string[] }[] {
  return f.record.steps.flatMap((s) => s.commands.map((argv) => ({ step: s.id, argv })))
}
