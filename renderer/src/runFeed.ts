// The run's own events (run:event), folded into what the views show beside AppState.run: the steps with
// their outcomes, every command in order, messages, the error with its hint and holders, and the result.
import { useEffect, useReducer } from 'react'
import type { BackupApi, RunEvent } from '../../preload/contract'

export type StepOutcome = 'pending' | 'running' | 'ok' | 'skipped' | 'failed' | 'cancelled'

export interface RunFeed {
  runId: string | null
  verb: string | null
  drive: string | null
  steps: { id: string; title: string; outcome: StepOutcome; note?: string }[]
  stepIndex: number
  commands: { step: string; argv: string[] }[]
  messages: { kind: 'info' | 'warning'; text: string }[]
  progress: Extract<RunEvent, { type: 'progress' }> | null
  error: Extract<RunEvent, { type: 'error' }> | null
  finished: Extract<RunEvent, { type: 'run-finished' }> | null
}

export const emptyFeed: RunFeed = { runId: null, verb: null, drive: null, steps: [], stepIndex: 0, commands: [], messages: [], progress: null, error: null, finished: null }

/** Keep the log bounded: a long run's info lines must not grow the page without end. */
const MAX_LINES = 200

export function reduceFeed(feed: RunFeed, e: RunEvent): RunFeed {
  switch (e.type) {
    case 'run-started':
      return { ...emptyFeed, runId: e.runId, verb: e.verb, drive: e.drive, steps: e.steps.map((s) => ({ ...s, outcome: 'pending' })) }
    case 'step-started':
      return { ...feed, stepIndex: e.index, progress: null, steps: feed.steps.map((s) => (s.id === e.step ? { ...s, outcome: 'running' } : s)) }
    case 'step-finished':
      return { ...feed, steps: feed.steps.map((s) => (s.id === e.step ? { ...s, outcome: e.outcome, ...(e.note ? { note: e.note } : {}) } : s)) }
    case 'command':
      return { ...feed, commands: [...feed.commands, { step: e.step, argv: e.argv }].slice(-MAX_LINES) }
    case 'progress':
      return { ...feed, progress: e }
    case 'info':
      return { ...feed, messages: [...feed.messages, { kind: 'info' as const, text: e.message }].slice(-MAX_LINES) }
    case 'warning':
      return { ...feed, messages: [...feed.messages, { kind: 'warning' as const, text: e.message }].slice(-MAX_LINES) }
    case 'error':
      return { ...feed, error: e }
    case 'run-finished':
      return { ...feed, finished: e }
    case 'replicated':
      return { ...feed, messages: [...feed.messages, { kind: 'info' as const, text: `${e.target} now holds @${e.snapshot} (verified)` }].slice(-MAX_LINES) }
    case 'drive-recorded':
      return { ...feed, messages: [...feed.messages, { kind: 'info' as const, text: `Drive “${e.drive.name}” recorded: pool ${e.drive.pool} on ${e.drive.disk.split('/').at(-1) ?? e.drive.disk}` }].slice(-MAX_LINES) }
    default:
      return feed
  }
}

export function useRunFeed(api: BackupApi): RunFeed {
  const [feed, dispatch] = useReducer(reduceFeed, emptyFeed)
  useEffect(() => api.on('run:event', dispatch), [api])
  return feed
}
