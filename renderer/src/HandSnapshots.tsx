// The guide's 10.3 from the snapshot list: take a snapshot of this source now, or delete one, which asks
// for its name typed again. Both run through the helper (root), only for snapshots of a configured source.
import { useState } from 'react'
import type { SnapshotTimeline } from '../../preload/contract'
import { useAction, useApi } from './api'

export function HandSnapshots({ timeline }: { timeline: SnapshotTimeline }) {
  const api = useApi()
  const create = useAction()
  const destroy = useAction()
  const [name, setName] = useState('')
  const local = timeline.rows.filter((r) => r.onSource)
  const [doomed, setDoomed] = useState('')
  const [typed, setTyped] = useState('')
  const slug = timeline.source.replace(/[^A-Za-z0-9_-]/g, '_')
  return (
    <section className="panel" aria-label={`Snapshots of ${timeline.source} by hand`}>
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault()
          void create.run(() => api.invoke('snapshot:create', { source: timeline.source, name }), 'The snapshot could not be taken.').then((ok) => ok && setName(''))
        }}
      >
        <label htmlFor={`snap-name-${slug}`}>New snapshot name</label>
        <input id={`snap-name-${slug}`} value={name} onChange={(e) => setName(e.target.value)} placeholder="before-upgrade" />
        <button type="submit" disabled={create.busy || name.trim() === ''}>Take snapshot</button>
        <span className="muted">
          runs as root: <code>zfs snapshot {timeline.source}@{name || 'NAME'}</code>
        </span>
      </form>
      {create.refusal && <p role="alert" className="error">{create.refusal}</p>}
      {local.length > 0 && (
        <form
          className="actions"
          onSubmit={(e) => {
            e.preventDefault()
            void destroy.run(() => api.invoke('snapshot:destroy', { snapshot: `${timeline.source}@${doomed}`, confirm: typed }), 'The snapshot could not be deleted.').then((ok) => ok && (setDoomed(''), setTyped('')))
          }}
        >
          <label htmlFor={`snap-del-${slug}`}>Delete snapshot</label>
          <select id={`snap-del-${slug}`} value={doomed} onChange={(e) => (setDoomed(e.target.value), setTyped(''))}>
            <option value="">choose…</option>
            {local.map((r) => (
              <option key={r.guid} value={r.snapshot}>{r.snapshot}</option>
            ))}
          </select>
          {doomed && (
            <>
              <label htmlFor={`snap-confirm-${slug}`}>Type its name to confirm</label>
              <input id={`snap-confirm-${slug}`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
              <button type="submit" className="danger" disabled={destroy.busy || typed !== doomed}>Delete</button>
              <span className="muted">
                runs as root: <code>zfs destroy {timeline.source}@{doomed}</code>
              </span>
            </>
          )}
        </form>
      )}
      {destroy.refusal && <p role="alert" className="error">{destroy.refusal}</p>}
    </section>
  )
}
