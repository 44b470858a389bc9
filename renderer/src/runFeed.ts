// The run's own events (run:event), folded by the same fold the app and the history use
// (shared/run-fold.ts) into what the views show beside AppState.run: the steps with their outcomes,
// every command in order, messages, the error with its hint and holders, and the result.
import { useEffect, useReducer } from 'react'
import type { BackupApi, RunEvent } from '../../preload/contract'
import { commandsOf, foldRun, stepsOf, type RunFold, type StepOutcome } from '../../shared/run-fold'

export type { StepOutcome }

export interface RunFeed {
  runId: string | null
  verb: string | null
  drive: string | null
  steps: { id: string; title: string; outcome: StepOutcome; note?: string }[]
  stepIndex: number
  commands: { step: string; argv: string[] }[]
  messages: { kind: 'info' | 'warning'; text: string }[]
  progress: RunFold['progress']
  error: Extract<RunEvent, { type: 'error' }> | null
  finished: Extract<RunEvent, { type: 'run-finished' }> | null
}

const emptyFeed: RunFeed = { runId: null, verb: null, drive: null, steps: [], stepIndex: 0, commands: [], messages: [], progress: null, error: null, finished: null }

export function feedOf(f: RunFold): RunFeed {
  const r = f.record
  return { runId: r.id, verb: r.verb, drive: r.drive, steps: stepsOf(f), stepIndex: f.stepIndex, commands: commandsOf(f), messages: f.messages, progress: f.progress, error: f.error, finished: f.finished }
}

interface FeedState {
  fold: RunFold | null
  /** An error before any run started (the password prompt was dismissed): shown all the same. */
  error: Extract<RunEvent, { type: 'error' }> | null
}

function reduce(s: FeedState, e: RunEvent): FeedState {
  const fold = foldRun(s.fold, e)
  return { fold, error: fold ? null : e.type === 'error' ? e : s.error }
}

export function useRunFeed(api: BackupApi): RunFeed {
  const [state, dispatch] = useReducer(reduce, { fold: null, error: null })
  useEffect(() => api.on('run:event', dispatch), [api])
  return state.fold ? feedOf(state.fold) : { ...emptyFeed, error: state.error }
}
