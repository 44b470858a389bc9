// Scrub: when the drive was last read back end to end, what it found, and a button to start one.
import type { DriveStatus } from '../../preload/contract'
import { useAction, useApi, useNow } from './api'
import { age, bytes, plural, when } from './format'

export function ScrubPanel({ drive, running }: { drive: DriveStatus; running: boolean }) {
  const api = useApi()
  const now = useNow()
  const scrub = useAction()
  const last = drive.lastScrub
  const blocked = running ? 'Wait for the run to finish.' : drive.presence === 'absent' || drive.presence === 'poweredOff' ? 'Connect the drive first.' : null
  const whyId = `scrub-why-${drive.name.replace(/[^A-Za-z0-9_-]/g, '_')}`
  return (
    <section className="panel" aria-label={`Scrub ${drive.name}`}>
      <h3>Scrub</h3>
      <p>
        {last ? (
          <>
            Last scrub <time dateTime={last.at}>{when(last.at)}</time> ({age(new Date(last.at), now)}):{' '}
            {last.errors === 0 ? <span className="ok-text">no errors</span> : <span className="error-text">{plural(last.errors, 'error')}</span>}
            {last.repairedBytes > 0 && `, ${bytes(last.repairedBytes)} repaired`}.
          </>
        ) : (
          'Never scrubbed.'
        )}
      </p>
      {drive.scrubDue && <p className="warn">A scrub is due: it reads every block back and checks it.</p>}
      <div className="actions">
        <button type="button" disabled={blocked !== null || scrub.busy} aria-describedby={blocked ? whyId : undefined} onClick={() => void scrub.run(() => api.invoke('scrub:start', { drive: drive.name }), 'The scrub could not start.')}>
          Start scrub
        </button>
        {blocked && <span id={whyId} className="why">{blocked}</span>}
      </div>
      {scrub.refusal && <p role="alert" className="error">{scrub.refusal}</p>}
    </section>
  )
}
