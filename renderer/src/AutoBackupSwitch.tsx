// "Back up when plugged in": backup on plug for this drive, with no app running. The state is main's
// (the same answer as `zfs-drive-backup status`); flipping it asks main, which runs the privileged helper.
import type { DriveStatus } from '../../preload/contract'
import { useAction, useApi } from './api'

export function AutoBackupSwitch({ drive }: { drive: DriveStatus }) {
  const api = useApi()
  const action = useAction()
  const auto = drive.autoBackup
  // A main that does not report it (an older shell) gets no switch.
  if (!auto) return null
  const id = `auto-${drive.name.replace(/[^A-Za-z0-9_-]/g, '_')}`
  const blocked = auto.canChange.ok ? null : (auto.canChange.reason ?? 'Backup on plug cannot be switched now.')
  return (
    <section className="panel" aria-label={`Backup on plug for ${drive.name}`}>
      <h3>Backup on plug</h3>
      <p>
        <input
          type="checkbox"
          role="switch"
          id={`${id}-switch`}
          checked={auto.on}
          aria-checked={auto.on}
          disabled={blocked !== null || action.busy}
          aria-describedby={`${id}-about${blocked ? ` ${id}-why` : ''}`}
          onChange={(e) => void action.run(() => api.invoke('auto:set', { drive: drive.name, enabled: e.target.checked }), 'Backup on plug could not be switched.')}
        />{' '}
        <label htmlFor={`${id}-switch`}>Back up when plugged in</label>
      </p>
      <p id={`${id}-about`} className="muted">
        Plugging the drive in backs it up, exports it and powers it off, even with this app closed. Switching asks for your password (it installs a udev rule and a system service).
      </p>
      {blocked && (
        <p id={`${id}-why`} className="why">
          {blocked}
        </p>
      )}
      {auto.note && (
        <p role="note" className="notice">
          {auto.note}
        </p>
      )}
      {action.refusal && (
        <p role="alert" className="error">
          {action.refusal}
        </p>
      )}
    </section>
  )
}
