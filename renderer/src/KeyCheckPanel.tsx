// Key rehearsal: when the passphrase was last proven, a reminder once keyCheckEveryDays have passed, and
// the check itself (zfs load-key -n through the helper; the passphrase goes to it once and is forgotten).
import { useState } from 'react'
import type { DriveStatus } from '../../preload/contract'
import { useAction, useApi, useNow } from './api'
import { age, plural, when } from './format'

export function KeyCheckPanel({ drive, running }: { drive: DriveStatus; running: boolean }) {
  const api = useApi()
  const now = useNow()
  const check = useAction()
  const [passphrase, setPassphrase] = useState('')
  const k = drive.keyCheck
  if (!k) return null
  const slug = drive.name.replace(/[^A-Za-z0-9_-]/g, '_')
  const blocked = running ? 'Wait for the run to finish.' : drive.presence === 'absent' || drive.presence === 'poweredOff' ? 'Connect the drive first.' : null
  const submit = async (): Promise<void> => {
    const ok = await check.run(() => api.invoke('key:verify', { drive: drive.name, passphrase }), 'The key check could not start.')
    if (ok) setPassphrase('')
  }
  return (
    <section className="panel" aria-label={`Passphrase of ${drive.name}`}>
      <h3>Passphrase</h3>
      <p>
        {k.lastProvenAt ? (
          <>
            Last proven <time dateTime={k.lastProvenAt}>{when(k.lastProvenAt)}</time> ({age(new Date(k.lastProvenAt), now)}).
          </>
        ) : (
          'Never checked with this app.'
        )}
      </p>
      {k.due && (
        <p className="warn key-due" role="status">
          Time to rehearse: {k.lastProvenAt ? `not proven for ${plural(k.days ?? k.everyDays, 'day')}` : `never proven in ${plural(k.days ?? k.everyDays, 'day')}`}. Without the passphrase this backup cannot be restored.
        </p>
      )}
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <label htmlFor={`key-${slug}`}>Passphrase</label>
        <input id={`key-${slug}`} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} disabled={blocked !== null} />
        <button type="submit" disabled={blocked !== null || check.busy || passphrase === ''} aria-describedby={blocked ? `key-why-${slug}` : undefined}>
          Check the passphrase
        </button>
        {blocked && <span id={`key-why-${slug}`} className="why">{blocked}</span>}
      </form>
      <p className="muted">Checked with zfs load-key -n on the drive: nothing is loaded, and the passphrase is not stored.</p>
      {check.refusal && <p role="alert" className="error">{check.refusal}</p>}
    </section>
  )
}
