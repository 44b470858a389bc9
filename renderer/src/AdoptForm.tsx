// A drive prepared by hand with the guide: name its pool and the dataset that receives the backup.
import { useId, useState } from 'react'
import type { AppState } from '../../preload/contract'
import { useAction, useApi } from './api'

export function AdoptForm({ sources }: { sources: AppState['sources'] }) {
  const api = useApi()
  const id = useId()
  const last = sources[0]?.dataset.split('/').at(-1) ?? 'home'
  const [pool, setPool] = useState('backup')
  const [target, setTarget] = useState(`backup/${last}`)
  const [name, setName] = useState('')
  const [failmode, setFailmode] = useState(true)
  const adopt = useAction()
  const [started, setStarted] = useState(false)
  const ok = pool.trim() !== '' && target.trim() !== '' && name.trim() !== ''
  return (
    <section className="card" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Use a drive set up with the guide</h2>
      <p>Plug the drive in. Its pool is imported by GUID, checked to be encrypted, and remembered.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void adopt.run(() => api.invoke('adopt:start', { pool: pool.trim(), target: target.trim(), name: name.trim(), failmodeContinue: failmode }), 'The drive could not be adopted.').then(setStarted)
        }}
      >
        <p className="field">
          <label htmlFor={`${id}-pool`}>Pool on the drive</label>
          <input id={`${id}-pool`} value={pool} onChange={(e) => setPool(e.target.value)} autoComplete="off" spellCheck={false} />
        </p>
        <p className="field">
          <label htmlFor={`${id}-target`}>Dataset that receives the backup</label>
          <input id={`${id}-target`} value={target} onChange={(e) => setTarget(e.target.value)} autoComplete="off" spellCheck={false} />
        </p>
        <p className="field">
          <label htmlFor={`${id}-name`}>Name for this drive</label>
          <input id={`${id}-name`} value={name} maxLength={64} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </p>
        <p className="field">
          <label>
            <input type="checkbox" checked={failmode} onChange={(e) => setFailmode(e.target.checked)} /> If the drive is unplugged mid-write, fail instead of hanging every later command (failmode=continue)
          </label>
        </p>
        <div className="actions">
          <button type="submit" disabled={!ok || adopt.busy}>
            Adopt drive
          </button>
        </div>
        {adopt.refusal && <p role="alert" className="error">{adopt.refusal}</p>}
        {started && <p role="status">Adopting the drive…</p>}
      </form>
    </section>
  )
}
