// The tray app follows the backup-on-plug service's feed file: only runs that start after it looks,
// each run's file written afresh, torn or foreign lines ignored.
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { followFeed } from '../../../main/services/headless-feed'
import type { RunEvent } from '../../../shared/events'

const started = (id: string): RunEvent => ({ type: 'run-started', runId: id, verb: 'backup', drive: 'T7', steps: [], at: new Date().toISOString() })

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('the headless feed', () => {
  it('reports the events of runs that start after it looks, and nothing that is not an event', { timeout: 30_000 }, async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdb-feed-')), 'headless-1000.jsonl')
    writeFileSync(path, JSON.stringify(started('old')) + '\n')
    const seen: RunEvent[] = []
    const stop = followFeed(path, (e) => seen.push(e), 20)
    try {
      appendFileSync(path, `not json\n${JSON.stringify({ type: 'nonsense' })}\n${JSON.stringify(started('r1'))}\n{"type":"step-st`)
      await until(() => seen.length === 1)
      appendFileSync(path, `arted","step":"import","index":0,"at":"${new Date().toISOString()}"}\n`)
      await until(() => seen.length === 2)
      expect(seen.map((e) => e.type)).toEqual(['run-started', 'step-started'])
      expect(seen[0]).toMatchObject({ runId: 'r1' })
      // The next run rewrites the file from the start.
      writeFileSync(path, JSON.stringify(started('r2')) + '\n')
      await until(() => seen.length === 3)
      expect(seen[2]).toMatchObject({ runId: 'r2' })
    } finally {
      stop()
    }
  })
})
