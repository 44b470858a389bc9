// What to back up: encrypted datasets first; an unencrypted one needs an explicit "yes, unencrypted".
import { useState } from 'react'
import type { AppState, SourceCandidate } from '../../preload/contract'
import { useAction, useApi, useLoad } from './api'
import { plural } from './format'

export function SourcePicker({ current }: { current: AppState['sources'] }) {
  const api = useApi()
  const list = useLoad(() => api.invoke('sources:list', undefined), [api])
  const [picked, setPicked] = useState<Set<string>>(() => new Set(current.map((s) => s.dataset)))
  const [allowed, setAllowed] = useState<Set<string>>(() => new Set(current.filter((s) => s.allowUnencrypted).map((s) => s.dataset)))
  const save = useAction()
  const [saved, setSaved] = useState(false)

  const sorted = [...(list.data ?? [])].sort((a, b) => Number(b.encrypted) - Number(a.encrypted) || a.dataset.localeCompare(b.dataset))
  const toggle = (set: Set<string>, value: string, on: boolean) => {
    const next = new Set(set)
    if (on) next.add(value)
    else next.delete(value)
    return next
  }
  const blockedUnencrypted = sorted.filter((s) => !s.encrypted && picked.has(s.dataset) && !allowed.has(s.dataset))
  const canSave = picked.size > 0 && blockedUnencrypted.length === 0

  return (
    <section className="card" aria-labelledby="sources-title">
      <h2 id="sources-title">Choose what to back up</h2>
      {list.error && <p role="alert" className="error">The datasets could not be listed: {list.error}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault()
          setSaved(false)
          const datasets = sorted.filter((s) => picked.has(s.dataset)).map((s) => s.dataset)
          void save.run(() => api.invoke('sources:set', { datasets, allowUnencrypted: datasets.filter((d) => allowed.has(d)) }), 'The choice could not be saved.').then(setSaved)
        }}
      >
        <fieldset>
          <legend>ZFS datasets on this computer</legend>
          <ul className="sources">
            {sorted.map((s) => (
              <SourceRow key={s.dataset} s={s} picked={picked.has(s.dataset)} allowed={allowed.has(s.dataset)} onPick={(on) => setPicked((p) => toggle(p, s.dataset, on))} onAllow={(on) => setAllowed((a) => toggle(a, s.dataset, on))} />
            ))}
          </ul>
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={!canSave || save.busy}>
            Use these datasets
          </button>
          {picked.size === 0 && <span className="why">Pick at least one dataset.</span>}
          {blockedUnencrypted.length > 0 && <span className="why">Confirm the unencrypted dataset first, or leave it out.</span>}
        </div>
        {save.refusal && <p role="alert" className="error">{save.refusal}</p>}
        {saved && <p role="status" className="ok-text">Saved.</p>}
      </form>
    </section>
  )
}

function SourceRow({ s, picked, allowed, onPick, onAllow }: { s: SourceCandidate; picked: boolean; allowed: boolean; onPick: (on: boolean) => void; onAllow: (on: boolean) => void }) {
  const id = `src-${s.dataset.replace(/[^A-Za-z0-9_-]/g, '_')}`
  return (
    <li className={s.encrypted ? 'source' : 'source unencrypted'}>
      <input type="checkbox" id={id} checked={picked} onChange={(e) => onPick(e.target.checked)} aria-describedby={`${id}-about`} />
      <label htmlFor={id}>
        <code>{s.dataset}</code>
      </label>
      <p id={`${id}-about`} className="muted">
        {s.encrypted ? `Encrypted${s.encryptionRoot && s.encryptionRoot !== s.dataset ? ` (key from ${s.encryptionRoot})` : ''}` : 'Not encrypted'} · {plural(s.snapshots, 'snapshot')}
      </p>
      {!s.encrypted && (
        <div className="warn unencrypted-note">
          <p>
            Not encrypted: its copy on the drive would be readable by anyone who holds the drive. The guide’s raw send keeps
            only an encrypted dataset encrypted.
          </p>
          {picked && (
            <p>
              <input type="checkbox" id={`${id}-allow`} checked={allowed} onChange={(e) => onAllow(e.target.checked)} />{' '}
              <label htmlFor={`${id}-allow`}>Back it up unencrypted anyway</label>
            </p>
          )}
        </div>
      )}
    </li>
  )
}
