// Recent runs: outcome, duration, bytes, and every command each step ran; a failed run says what to do.
import type { RunRecord } from '../../preload/contract'
import { useApi, useLoad } from './api'
import { bytes, commandLine, duration, when } from './format'
import { ErrorText } from './LastRunBanner'
import { verbLabel } from './labels'

const outcomeText: Record<RunRecord['outcome'], string> = { running: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' }

export function HistoryView({ refreshKey }: { refreshKey: string | null }) {
  const api = useApi()
  const runs = useLoad(() => api.invoke('history:list', { limit: 50 }), [api, refreshKey])
  return (
    <section aria-labelledby="history-title">
      <div className="view-head">
        <h2 id="history-title">History</h2>
        <button type="button" className="secondary" onClick={runs.reload} disabled={runs.loading}>
          Refresh
        </button>
      </div>
      {runs.error && <p role="alert" className="error">The history could not be read: {runs.error}</p>}
      {runs.data && runs.data.length === 0 && <p>No runs yet.</p>}
      {runs.data && (
        <ol className="history">
          {[...runs.data].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((r) => (
            <li key={r.id}>
              <HistoryEntry run={r} />
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}

function HistoryEntry({ run }: { run: RunRecord }) {
  return (
    <article className={`card run-record outcome-${run.outcome}`} aria-label={`${verbLabel[run.verb]} ${when(run.startedAt)}: ${outcomeText[run.outcome]}`}>
      <header className="record-head">
        <h3>
          {verbLabel[run.verb]}
          {run.drive ? ` · ${run.drive}` : ''}
        </h3>
        <span className={`badge badge-${run.outcome}`}>{outcomeText[run.outcome]}</span>
      </header>
      <p className="muted">
        <time dateTime={run.startedAt}>{when(run.startedAt)}</time> · {duration(run.durationMs)}
        {run.bytes > 0 ? ` · ${bytes(run.bytes)}` : ''}
      </p>
      {run.outcome === 'failed' && (
        <div className="failure">
          <ErrorText error={run.error} />
        </div>
      )}
      {run.warnings.length > 0 && (
        <ul className="messages">
          {run.warnings.map((w, i) => (
            <li key={i} className="warn">{w.message}</li>
          ))}
        </ul>
      )}
      <details>
        <summary>Steps and commands</summary>
        <ol className="record-steps">
          {run.steps.map((s) => (
            <li key={s.id}>
              <p>
                <strong>{s.title}</strong> — {s.outcome}
                {s.durationMs > 0 ? `, ${duration(s.durationMs)}` : ''}
                {s.note ? ` (${s.note})` : ''}
              </p>
              {s.commands.length > 0 && (
                <ul className="commands">
                  {s.commands.map((c, i) => (
                    <li key={i}>
                      <code>{commandLine(c)}</code>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      </details>
    </article>
  )
}
