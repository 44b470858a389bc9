// Human-readable lines for a run's events: the commands exactly as run, progress with rate and ETA.
import { bytes, duration } from '../engine/units'
import { displayCommand } from '../system/runner'
import type { Progress, RunEvent } from '../../shared/events'

export { bytes, duration }

export function progressLine(p: Progress): string {
  const pct = p.totalBytes ? ` ${Math.min(100, (100 * p.bytes) / p.totalBytes).toFixed(0)} %` : ''
  const of = p.totalBytes ? ` of ${bytes(p.totalBytes)}` : ''
  const rate = p.bytesPerSecond !== null ? `, ${bytes(p.bytesPerSecond)}/s` : ''
  const eta = p.etaSeconds !== null ? `, ${duration(p.etaSeconds)} left` : p.bytesPerSecond === 0 ? ', stalled' : ''
  return `  ${bytes(p.bytes)}${of}${pct}${rate}${eta}`
}

/** One line per event worth printing; progress is handled by the caller (it redraws). */
export function formatEvent(e: RunEvent, titles: Map<string, string>): string | null {
  switch (e.type) {
    case 'run-started':
      for (const s of e.steps) titles.set(s.id, s.title)
      return `${e.verb}${e.drive ? ` to drive "${e.drive}"` : ''}`
    case 'step-started':
      return `▶ ${titles.get(e.step) ?? e.step}`
    case 'command':
      return `  $ ${displayCommand(e.argv)}`
    case 'info':
      return `  ${e.message}`
    case 'step-finished':
      if (e.outcome === 'ok') return e.note ? `  ✓ ${e.note}` : null
      if (e.outcome === 'skipped') return e.note && e.note !== 'an earlier step failed' && e.note !== 'cancelled' ? `  – ${titles.get(e.step) ?? e.step}: skipped (${e.note})` : null
      return `  ✗ ${e.outcome}`
    case 'warning':
      return `! ${e.message}`
    case 'error':
      return `✗ ${e.message}${e.hint ? `\n  ${e.hint}` : ''}`
    case 'run-finished':
      return e.outcome === 'succeeded' ? `✓ done in ${duration(e.durationMs / 1000)}` : e.outcome === 'cancelled' ? '✗ cancelled' : '✗ failed'
    case 'replicated':
      return `  ✓ ${e.target}@${e.snapshot} (guid ${e.guid}) is on the drive`
    case 'drive-recorded':
      return `  ✓ drive "${e.drive.name}" (pool ${e.drive.pool}, GUID ${e.drive.poolGuid}) recorded`
    case 'auto-backup':
      return `  ✓ backup on plug is ${e.on ? 'on' : 'off'} for "${e.drive}"${e.on ? ` (its log: journalctl -u ${e.unit})` : ''}`
    // The scrub's result lines are info lines already; the pool's state shows in the step that changed it.
    // A failed command's own words are in the history (history --json); the error line says what they mean.
    case 'command-output':
    case 'progress':
    case 'scrub-result':
    case 'pool-state':
      return null
  }
}
