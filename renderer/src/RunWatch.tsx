// A run followed from its events alone (the setup wizard's view of its runs): steps, bar, command, result.
import type { RunStatus } from '../../preload/contract'
import { bytes, commandLine, duration } from './format'
import { verbLabel } from './labels'
import { ProgressBar } from './ProgressBar'
import type { RunFeed } from './runFeed'
import { StepList } from './StepList'

export function RunWatch({ feed, run }: { feed: RunFeed; run: RunStatus | null }) {
  if (!feed.runId) return <p role="status">Waiting for the run to start… (a password prompt may be open)</p>
  const label = feed.verb && feed.verb in verbLabel ? verbLabel[feed.verb as keyof typeof verbLabel] : 'Run'
  const stalled = run?.id === feed.runId ? run.stalled : false
  const command = feed.commands.at(-1)
  return (
    <div className="run-watch">
      <h3>{label}</h3>
      <StepList steps={feed.steps} label={`${label} steps`} />
      {!feed.finished && feed.progress && (
        <ProgressBar progress={feed.progress} stalled={stalled} label={`${label}: bytes copied`} />
      )}
      {!feed.finished && command && (
        <div className="command">
          <span className="muted">Running:</span> <code>{commandLine(command.argv)}</code>
        </div>
      )}
      {feed.finished?.outcome === 'succeeded' && (
        <p role="status" className="ok-text">
          {label} finished in {duration(feed.finished.durationMs)}
          {feed.finished.bytes > 0 ? `, ${bytes(feed.finished.bytes)} copied` : ''}.
        </p>
      )}
      {feed.finished?.outcome === 'cancelled' && <p role="status">{label} was cancelled.</p>}
      {feed.error && (
        <div role="alert" className="failure">
          <p className="error-message">{feed.error.message}</p>
          {feed.error.hint && (
            <p className="hint">
              <strong>What to do:</strong> {feed.error.hint}
            </p>
          )}
        </div>
      )}
    </div>
  )
}
