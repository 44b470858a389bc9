import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { recordFromEvents } from '../../../shared/run-record'
import { appendRun, readRuns } from '../../../main/history/store'
import type { RunEvent } from '../../../shared/events'

const at = '2026-11-27T10:00:00.000Z'
const events: RunEvent[] = [
  { type: 'run-started', runId: 'r1', verb: 'backup', drive: 'T7', steps: [{ id: 'import', title: 'Import' }, { id: 'replicate', title: 'Send' }], at },
  { type: 'step-started', step: 'import', index: 0, at },
  { type: 'command', step: 'import', argv: ['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '123'] },
  { type: 'step-finished', step: 'import', outcome: 'ok', durationMs: 2000 },
  { type: 'step-started', step: 'replicate', index: 1, at },
  { type: 'progress', step: 'replicate', bytes: 5000, totalBytes: 9000, bytesPerSecond: 100, etaSeconds: 40 },
  { type: 'step-finished', step: 'replicate', outcome: 'failed', durationMs: 1000 },
  { type: 'error', code: 'replication-failed', message: 'syncoid failed', hint: 'try again' },
  { type: 'run-finished', outcome: 'failed', durationMs: 3000, at, bytes: 5000 },
]

describe('run history', () => {
  it('records each step with the exact commands it ran, the bytes and the error', () => {
    const r = recordFromEvents(events)!
    expect(r).toMatchObject({ id: 'r1', drive: 'T7', outcome: 'failed', bytes: 5000, error: { code: 'replication-failed', hint: 'try again' } })
    expect(r.steps[0]).toMatchObject({ outcome: 'ok', commands: [['zpool', 'import', '-d', '/dev/disk/by-id', '-N', '123']] })
  })

  it('keeps every earlier run when the last line was torn by a crash, and says so', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'hist-')), 'history.jsonl')
    writeFileSync(path, '')
    await appendRun(recordFromEvents(events)!, path)
    await appendRun({ ...recordFromEvents(events)!, id: 'r2' }, path)
    appendFileSync(path, '{"id":"r3","verb":"back')
    const warnings: string[] = []
    const runs = await readRuns(path, 100, (w) => warnings.push(w))
    expect(runs.map((r) => r.id)).toEqual(['r2', 'r1'])
    expect(warnings).toHaveLength(1)
  })
})
