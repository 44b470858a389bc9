// The one fold of a run's events that the history, the app's run status and the window's feed share.
import { describe, expect, it } from 'vitest'
import type { RunEvent } from '../../../shared/events'
import { commandsOf, foldRun, stepsOf, type RunFold } from '../../../shared/run-fold'
import { recordFromEvents } from '../../../shared/run-record'

const at = '2026-12-01T10:00:00.000Z'
const events: RunEvent[] = [
  { type: 'run-started', runId: 'r1', verb: 'scrub', drive: 'T7', steps: [{ id: 'import', title: 'Import' }, { id: 'watch', title: 'Scrub' }, { id: 'result', title: 'Result' }], at },
  { type: 'step-started', step: 'import', index: 0, at },
  { type: 'command', step: 'import', argv: ['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '123'] },
  { type: 'pool-state', drive: 'T7', state: 'imported' },
  { type: 'step-finished', step: 'import', outcome: 'ok', durationMs: 10 },
  { type: 'step-started', step: 'watch', index: 1, at },
  { type: 'command', step: 'watch', argv: ['zpool', 'status', '-jp', 'backup'] },
  { type: 'progress', step: 'watch', bytes: 50, totalBytes: 100, bytesPerSecond: 10, etaSeconds: 5 },
]

const fold = (es: readonly RunEvent[]): RunFold | null => es.reduce<RunFold | null>(foldRun, null)

describe('run fold', () => {
  it('mid-run: the running step, its command and progress; every command in order', () => {
    const f = fold(events)!
    expect(stepsOf(f).map((s) => s.outcome)).toEqual(['ok', 'running', 'pending'])
    expect(f).toMatchObject({ stepIndex: 1, command: ['zpool', 'status', '-jp', 'backup'], progress: { bytes: 50, totalBytes: 100 } })
    expect(commandsOf(f).map((c) => c.step)).toEqual(['import', 'watch'])
    expect(f.record.bytes).toBe(50)
  })

  it('at the end: the record is what the history keeps, with the scrub result and the first error', () => {
    const rest: RunEvent[] = [
      { type: 'step-finished', step: 'watch', outcome: 'ok', durationMs: 10 },
      { type: 'scrub-result', pool: 'backup', repairedBytes: 0, errors: 1, dataErrors: 2, totals: { read: 0, write: 0, checksum: 3 } },
      { type: 'warning', code: 'scrub-found-errors', message: 'found errors' },
      { type: 'error', code: 'export-failed', message: 'first' },
      { type: 'error', code: 'command-failed', message: 'second' },
      { type: 'run-finished', outcome: 'failed', durationMs: 30, at, bytes: 100 },
    ]
    const f = fold([...events, ...rest])!
    expect(f.record).toEqual(recordFromEvents([...events, ...rest]))
    expect(f.record).toMatchObject({ outcome: 'failed', bytes: 100, scrub: { errors: 1, dataErrors: 2 }, error: { code: 'export-failed' } })
    expect(f.error?.message).toBe('first')
    expect(f.messages).toEqual([{ kind: 'warning', text: 'found errors' }])
    expect(f).toMatchObject({ running: null, command: null, finished: { outcome: 'failed' } })
  })

  it('never changes a fold it was given (the window keeps folds in React state)', () => {
    const before = fold(events)!
    const copy = structuredClone(before)
    foldRun(before, { type: 'command', step: 'watch', argv: ['zpool', 'status', 'backup'] })
    foldRun(before, { type: 'step-finished', step: 'watch', outcome: 'ok', durationMs: 1 })
    expect(before).toEqual(copy)
  })

  it('events before a run started belong to no run; a new run starts a new fold', () => {
    expect(foldRun(null, { type: 'error', code: 'auth-dismissed', message: 'dismissed' })).toBeNull()
    const next = foldRun(fold(events), { ...events[0]!, runId: 'r2' } as RunEvent)!
    expect(next.record.id).toBe('r2')
    expect(commandsOf(next)).toEqual([])
  })
})
