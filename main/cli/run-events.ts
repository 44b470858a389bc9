// Shared by every verb that runs a pipeline: print its events (human or JSON), keep the history record,
// and turn the outcome into the exit code.
import type { Emit, RunEvent } from '../../shared/events'
import type { Outcome } from '../engine/pipeline'
import { foldRun, type RunFold } from '../../shared/run-fold'
import { appendRun } from '../history/store'
import { formatEvent, progressLine } from './format'
import { EXIT, type Io } from './command'
import { jsonLine } from './json'

export function exitCodeFor(outcome: Outcome, errorCode: string | null): number {
  if (outcome === 'succeeded') return EXIT.ok
  if (outcome === 'cancelled') return EXIT.cancelled
  if (errorCode === 'drive-not-connected' || errorCode === 'disk-not-found' || errorCode === 'pool-not-found') return EXIT.notPresent
  if (errorCode === 'busy-another-run' || errorCode === 'pool-busy') return EXIT.busy
  if (errorCode === 'config-invalid' || errorCode === 'drive-unknown' || errorCode === 'confirmation-mismatch' || errorCode === 'disk-not-by-id') return EXIT.usage
  return EXIT.failed
}

/** `tap` sees every event too (the headless service builds its own record from them). */
export async function runWithEvents(io: Io, json: boolean, history: { path: string; owner: { uid: number; gid: number } | null } | null, start: (emit: Emit) => Promise<Outcome>, tap?: (e: RunEvent) => void): Promise<number> {
  const titles = new Map<string, string>()
  let fold: RunFold | null = null
  let errorCode: string | null = null
  let lastLog = 0
  const emit: Emit = (e: RunEvent) => {
    fold = foldRun(fold, e)
    tap?.(e)
    if (e.type === 'error') errorCode ??= e.code
    if (json) return io.out(jsonLine('events', e))
    if (e.type === 'progress') {
      // A terminal gets one redrawn line; a log file gets a line every 5 s.
      if (io.isTty) io.out(`\r\x1b[K${progressLine(e)}`)
      else if (Date.now() - lastLog > 5000) {
        lastLog = Date.now()
        io.out(progressLine(e) + '\n')
      }
      return
    }
    const line = formatEvent(e, titles)
    if (line) io.out(`${io.isTty ? '\r\x1b[K' : ''}${line}\n`)
  }
  const outcome = await start(emit)
  const record = (fold as RunFold | null)?.record
  if (record && history) await appendRun(record, history.path, history.owner)
  return exitCodeFor(outcome, errorCode)
}
