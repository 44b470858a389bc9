// Eject: the state on the way to "safe to unplug", and which processes keep a busy pool from exporting.
import type { DriveStatus } from '../../preload/contract'
import { useAction, useApi } from './api'
import { ejectBlocked } from './labels'

const ejectState: Record<DriveStatus['presence'], string> = {
  absent: 'Not connected.',
  connected: 'Connected, pool not imported. Eject powers the drive off.',
  imported: 'Pool imported. Eject exports it and powers the drive off.',
  exported: 'Pool exported, drive still powered. Eject powers it off.',
  poweredOff: 'Powered off — safe to unplug.',
}

export function EjectPanel({ drive, running }: { drive: DriveStatus; running: boolean }) {
  const api = useApi()
  const eject = useAction()
  const blocked = ejectBlocked(drive, running)
  const whyId = `eject-why-${drive.name.replace(/[^A-Za-z0-9_-]/g, '_')}`
  return (
    <section className="panel" aria-label={`Eject ${drive.name}`}>
      <h3>Eject</h3>
      <p>{ejectState[drive.presence]}</p>
      {drive.busyHolders && drive.busyHolders.length > 0 && (
        <div className="busy" role="alert">
          <p>
            <strong>The pool is busy.</strong> Close these programs, then eject again:
          </p>
          <ul className="holders">
            {drive.busyHolders.map((h) => (
              <li key={`${h.pid}-${h.path}`}>
                <code>{h.command}</code> (PID {h.pid}) has <code>{h.path}</code> open
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="actions">
        <button type="button" disabled={blocked !== null || eject.busy} aria-describedby={blocked ? whyId : undefined} onClick={() => void eject.run(() => api.invoke('drive:eject', { drive: drive.name }), 'The drive could not be ejected.')}>
          Eject
        </button>
        {blocked && (
          <span id={whyId} className="why">
            {blocked}
          </span>
        )}
      </div>
      {eject.refusal && <p role="alert" className="error">{eject.refusal}</p>}
    </section>
  )
}
