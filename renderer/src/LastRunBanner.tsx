// The last run's outcome until the next one starts: "done — safe to unplug", or the error and what to do.
import type { AppState, RunRecord } from '../../preload/contract'
import { bytes, duration, when } from './format'
import { verbLabel } from './labels'

export function LastRunBanner({ run, drives }: { run: RunRecord; drives: AppState['drives'] }) {
  const drive = drives.find((d) => d.name === run.drive)
  const what = `${verbLabel[run.verb]}${run.drive ? ` of ${run.drive}` : ''}`
  if (run.outcome === 'succeeded') {
    const unplug = drive?.presence === 'poweredOff'
    return (
      <section className="card banner ok" role="status" aria-label="Last run">
        <h2>
          {what} done{unplug ? ' — safe to unplug' : ''}
        </h2>
        <p>
          Finished {run.finishedAt ? when(run.finishedAt) : ''} in {duration(run.durationMs)}
          {run.bytes > 0 ? `, ${bytes(run.bytes)} copied` : ''}.
          {run.replicated.length > 0 && ` The drive now holds @${run.replicated.map((r) => r.snapshot).join(', @')}.`}
        </p>
        {run.warnings.length > 0 && (
          <ul className="messages">
            {run.warnings.map((w, i) => (
              <li key={i} className="warn">{w.message}</li>
            ))}
          </ul>
        )}
      </section>
    )
  }
  if (run.outcome === 'cancelled') {
    return (
      <section className="card banner" role="status" aria-label="Last run">
        <h2>{what} cancelled</h2>
        <p>Nothing was lost: the next backup resumes where this one stopped.</p>
      </section>
    )
  }
  if (run.outcome === 'failed') {
    return (
      <section className="card banner failed" role="alert" aria-label="Last run">
        <h2>{what} failed</h2>
        <ErrorText error={run.error} />
      </section>
    )
  }
  return null
}

export function ErrorText({ error }: { error: RunRecord['error'] }) {
  if (!error) return <p>The run stopped without saying why; the history has every command it ran.</p>
  return (
    <>
      <p className="error-message">{error.message}</p>
      {error.hint && (
        <p className="hint">
          <strong>What to do:</strong> {error.hint}
        </p>
      )}
    </>
  )
}
