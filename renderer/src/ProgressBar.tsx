import type { Progress } from '../../preload/contract'
import { bytes, eta, rate } from './format'

/** Bytes moved of the total, rate and ETA; rate and ETA hidden while nothing moves (they would lie). */
export function ProgressBar({ progress, stalled, label }: { progress: Progress; stalled: boolean; label: string }) {
  const total = progress.totalBytes && progress.totalBytes > 0 ? progress.totalBytes : null
  const pct = total ? Math.min(100, Math.floor((progress.bytes / total) * 100)) : null
  return (
    <div className="progress-block">
      {total ? (
        <progress className="bar" max={total} value={Math.min(progress.bytes, total)} aria-label={label} aria-valuetext={`${pct}%`} />
      ) : (
        <progress className="bar" aria-label={label} />
      )}
      <p className="progress-figures">
        <span>{total ? `${bytes(progress.bytes)} of ${bytes(total)}` : `${bytes(progress.bytes)} copied`}</span>
        {pct !== null && <span> ({pct} %)</span>}
        {!stalled && progress.bytesPerSecond !== null && <span data-testid="rate"> · {rate(progress.bytesPerSecond)}</span>}
        {!stalled && progress.etaSeconds !== null && <span data-testid="eta"> · {eta(progress.etaSeconds)}</span>}
      </p>
      {stalled && (
        <p className="warn" role="status">
          No data has moved for a few seconds — waiting for the drive. The time left is hidden until it moves again.
        </p>
      )}
    </div>
  )
}
