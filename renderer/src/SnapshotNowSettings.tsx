// "Snapshot before backing up", per source and off by default: a backup then first takes a snapshot of
// its own (zfs-drive-backup_<time>, pruned by the app, never by sanoid) so it sends the state of now.
import type { AppState } from '../../preload/contract'
import { useAction, useApi } from './api'

export function SnapshotNowSettings({ sources }: { sources: AppState['sources'] }) {
  const api = useApi()
  const act = useAction()
  if (sources.length === 0) return null
  return (
    <section className="card" aria-labelledby="snapnow-title">
      <h2 id="snapnow-title">Before each backup</h2>
      <p className="muted">Off: a backup sends sanoid’s snapshots only (as the guide does), which may be up to an hour old.</p>
      {sources.map((s) => (
        <p key={s.dataset}>
          <label>
            <input
              type="checkbox"
              checked={s.snapshotBeforeBackup ?? false}
              disabled={act.busy}
              onChange={(e) => void act.run(() => api.invoke('source:snapshot-before-backup', { dataset: s.dataset, enabled: e.target.checked }), 'The setting could not be saved.')}
            />{' '}
            Snapshot <code>{s.dataset}</code> before backing up
          </label>
        </p>
      ))}
      {act.refusal && <p role="alert" className="error">{act.refusal}</p>}
    </section>
  )
}
