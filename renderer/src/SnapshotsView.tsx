// Which snapshots exist where, newest first (main matched the two sides), and what changed between two of them.
import { useState } from 'react'
import type { DriveStatus } from '../../preload/contract'
import { useApi, useLoad } from './api'
import { DiffPanel } from './DiffPanel'
import { HandSnapshots } from './HandSnapshots'
import { DrivePicker } from './DrivePicker'
import { when } from './format'

export function SnapshotsView({ drives, refreshKey }: { drives: DriveStatus[]; refreshKey: string | null }) {
  const api = useApi()
  const [drive, setDrive] = useState(drives[0]?.name ?? '')
  const list = useLoad(drive ? () => api.invoke('snapshots:list', { drive }) : null, [api, drive, refreshKey])
  const groups = list.data?.timelines.filter((g) => g.rows.length > 0) ?? []
  return (
    <section aria-labelledby="snapshots-title">
      <div className="view-head">
        <h2 id="snapshots-title">Snapshots</h2>
        <button type="button" className="secondary" onClick={list.reload} disabled={list.loading || !drive}>
          Refresh
        </button>
      </div>
      <DrivePicker drives={drives} value={drive} onChange={setDrive} />
      {list.error && <p role="alert" className="error">The snapshots could not be listed: {list.error}</p>}
      {list.data?.driveNote && <p className="note">{list.data.driveNote}</p>}
      {groups.map((g) => (
        <div key={`${g.source}→${g.target}`} className="table-wrap">
          <table className="timeline">
            <caption>
              <code>{g.source}</code>
            </caption>
            <thead>
              <tr>
                <th scope="col">Snapshot</th>
                <th scope="col">Created</th>
                <th scope="col">This computer</th>
                <th scope="col">Drive</th>
              </tr>
            </thead>
            <tbody>
              {g.rows.map((r) => (
                <tr key={r.guid}>
                  <th scope="row">
                    <code>{r.snapshot}</code>
                  </th>
                  <td>
                    <time dateTime={r.createdAt}>{when(r.createdAt)}</time>
                  </td>
                  <td>
                    <Where present={r.onSource} />
                  </td>
                  <td>
                    {r.onDrive === null ? <span className="muted">not read</span> : <Where present={r.onDrive} />}
                    {r.retention === 'prune' && <span className="muted"> — removed at the next backup</span>}
                    {r.retention === 'keep' && !r.onSource && <span className="muted"> — kept by this drive's retention</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <HandSnapshots timeline={g} />
        </div>
      ))}
      {list.data && groups.length === 0 && <p>No snapshots yet: sanoid has not taken any.</p>}
      {list.data && list.data.source.length > 1 && <DiffPanel snapshots={list.data.source} />}
    </section>
  )
}

function Where({ present }: { present: boolean }) {
  return (
    <span className={present ? 'here' : 'missing'}>
      <span aria-hidden="true">{present ? '●' : '○'}</span> {present ? 'yes' : 'no'}
    </span>
  )
}
