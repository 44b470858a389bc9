import type { DriveStatus } from '../../preload/contract'
import { age } from './time'

const presenceText: Record<DriveStatus['presence'], string> = {
  absent: 'Not connected',
  connected: 'Connected',
  imported: 'In use (pool imported)',
  exported: 'Exported',
  poweredOff: 'Powered off — safe to unplug',
}

export function DriveCard({ drive, running, onBackUp }: { drive: DriveStatus; running: boolean; onBackUp: () => void }) {
  const blocked = drive.presence === 'absent' || drive.presence === 'poweredOff' ? 'Connect the drive first.' : running ? 'A backup is running.' : null
  return (
    <section aria-label={`Drive ${drive.name}`} className="drive">
      <h2>{drive.name}</h2>
      <p>{presenceText[drive.presence]}</p>
      <p>Last backup: {drive.lastBackupAt ? age(new Date(drive.lastBackupAt), new Date()) : 'never'}</p>
      <button type="button" onClick={onBackUp} disabled={blocked !== null} aria-describedby={blocked ? `why-${drive.name}` : undefined}>
        Back up now
      </button>
      {blocked && <small id={`why-${drive.name}`}>{blocked}</small>}
    </section>
  )
}
