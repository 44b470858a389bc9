// The run in progress: step N of M, the bar, the exact command, Cancel, and what ran so far.
import type { RunStatus } from '../../preload/contract'
import { useAction, useApi } from './api'
import { commandLine } from './format'
import { verbDoing } from './labels'
import { ProgressBar } from './ProgressBar'
import type { RunFeed } from './runFeed'
import { StepList } from './StepList'

export function ProgressPanel({ run, feed }: { run: RunStatus; feed: RunFeed }) {
  const api = useApi()
  const cancel = useAction()
  const step = run.steps[run.stepIndex]
  const live = feed.runId === run.id ? feed : null
  return (
    <section className="card run" aria-labelledby="run-title">
      <h2 id="run-title">
        {verbDoing[run.verb]} {run.drive ?? ''}
      </h2>
      {step && (
        <p className="step-now" aria-live="polite">
          Step {run.stepIndex + 1} of {run.steps.length}: <strong>{step.title}</strong>
        </p>
      )}
      {run.progress && <ProgressBar progress={run.progress} stalled={run.stalled} label={step ? `${step.title}: bytes copied` : 'Bytes copied'} />}
      {run.command && (
        <div className="command">
          <span className="muted">Running:</span> <code>{commandLine(run.command)}</code>
        </div>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void cancel.run(() => api.invoke('run:cancel', undefined), 'The run could not be cancelled.')} disabled={!run.cancellable || cancel.busy} aria-describedby={!run.cancellable ? 'cancel-why' : undefined}>
          Cancel
        </button>
        {!run.cancellable && (
          <span id="cancel-why" className="muted">
            This step finishes before the run can stop.
          </span>
        )}
      </div>
      {cancel.refusal && <p role="alert" className="error">{cancel.refusal}</p>}
      <details className="run-details">
        <summary>All steps{live && live.commands.length ? ` and commands (${live.commands.length})` : ''}</summary>
        <StepList steps={run.steps} label="Steps of this run" />
        {live && live.commands.length > 0 && (
          <ol className="commands" aria-label="Commands run so far">
            {live.commands.map((c, i) => (
              <li key={i}>
                <code>{commandLine(c.argv)}</code>
              </li>
            ))}
          </ol>
        )}
        {live && live.messages.length > 0 && (
          <ul className="messages">
            {live.messages.map((m, i) => (
              <li key={i} className={m.kind === 'warning' ? 'warn' : undefined}>
                {m.text}
              </li>
            ))}
          </ul>
        )}
      </details>
    </section>
  )
}
