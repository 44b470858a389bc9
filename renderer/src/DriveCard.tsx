// One drive: where it is, when it was last backed up, how far behind it is, and the big button.
import type { DriveStatus } from '../../preload/contract'
import { useAction, useApi, useNow } from './api'
import { age, plural, snapName, when } from './format'
import { backupBlocked, presenceText } from './labels'
import { EjectPanel } from './EjectPanel'
import { ScrubPanel } from './ScrubPanel'
import { AutoBackupSwitch } from './AutoBackupSwitch'
import { KeyCheckPanel } from './KeyCheckPanel'

export function DriveCard({ drive, running }: { drive: DriveStatus; running: boolean }) {
  const api = useApi()
  const now = useNow()
  const backup = useAction()
  const blocked = backupBlocked(drive, running)
  const id = `drive-${drive.name.replace(/[^A-Za-z0-9_-]/g, '_')}`
  const s = drive.snapshots
  return (
    <section aria-labelledby={`${id}-title`} className="card drive">
      <header className="drive-head">
        <h2 id={`${id}-title`}>{drive.name}</h2>
        <span className={`presence presence-${drive.presence}`}>{presenceText[drive.presence]}</span>
      </header>
      <dl className="facts">
        <dt>Last backup</dt>
        <dd>
          {drive.lastBackupAt ? (
            <>
              <time dateTime={drive.lastBackupAt}>{when(drive.lastBackupAt)}</time> <span className="age">({age(new Date(drive.lastBackupAt), now)})</span>
            </>
          ) : (
            'never'
          )}
        </dd>
        <dt>Newest snapshot on this computer</dt>
        <dd>{s.sourceNewest ? <code>{snapName(s.sourceNewest)}</code> : 'none'}</dd>
        <dt>Newest snapshot on the drive</dt>
        <dd>{s.driveNewest ? <code>{snapName(s.driveNewest)}</code> : 'none yet'}</dd>
        <dt>Missing on the drive</dt>
        <dd>{s.missingOnDrive === null ? 'unknown until the drive is read' : s.missingOnDrive === 0 ? 'nothing — up to date' : plural(s.missingOnDrive, 'snapshot')}</dd>
        {drive.nextBackup && (
          <>
            <dt>Next backup</dt>
            {drive.nextBackup.map((line) => (
              <dd key={line}>{line}</dd>
            ))}
          </>
        )}
      </dl>
      {drive.stale && (
        <p className="warn stale" role="status">
          ⚠ {drive.lastBackupAt ? `No backup for more than ${plural(drive.staleAfterDays, 'day')}.` : 'Never backed up.'} Plug the drive in and back up.
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary big" disabled={blocked !== null || backup.busy} aria-describedby={blocked ? `${id}-why` : undefined} onClick={() => void backup.run(() => api.invoke('backup:start', { drive: drive.name }), 'The backup could not start.')}>
          Back up now
        </button>
        {blocked && (
          <span id={`${id}-why`} className="why">
            {blocked}
          </span>
        )}
      </div>
      {backup.refusal && (
        <p role="alert" className="error">
          {backup.refusal}
        </p>
      )}
      <div className="drive-panels">
        <EjectPanel drive={drive} running={running} />
        <ScrubPanel drive={drive} running={running} />
        <AutoBackupSwitch drive={drive} />
        <KeyCheckPanel drive={drive} running={running} />
      </div>
    </section>
  )
}
