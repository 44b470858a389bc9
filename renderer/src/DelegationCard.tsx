// What you may do on each source without root (zfs allow), what the app needs for its features that run
// as you, and granting or revoking exactly that through the helper: the command it runs is shown first.
import type { SourceDelegation } from '../../preload/contract'
import { useAction, useApi, useLoad } from './api'

const shown = (argv: string[]): string => argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')

export function DelegationCard({ refreshKey }: { refreshKey: string | null }) {
  const api = useApi()
  const info = useLoad(() => api.invoke('delegation:get', undefined), [api, refreshKey])
  const d = info.data
  return (
    <section className="card" aria-labelledby="delegation-title">
      <h2 id="delegation-title">Permissions without root</h2>
      {info.error && <p role="alert" className="error">The permissions could not be read: {info.error}</p>}
      {d && (
        <>
          <p>
            The app runs {d.needs.map((n) => n.use).join(', ')} as you. That needs {d.needs.map((n) => <code key={n.permission}>{n.permission}</code>)} delegated on each source (
            <code>zfs allow</code>); listing snapshots needs nothing.
          </p>
          {d.root ? (
            <p>Running as root: no delegation needed.</p>
          ) : (
            <ul className="checks">
              {d.sources.map((s) => (
                <SourceRow key={s.dataset} user={d.user} s={s} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  )
}

function SourceRow({ user, s }: { user: string; s: SourceDelegation }) {
  const api = useApi()
  const act = useAction()
  const ok = s.missing.length === 0
  return (
    <li className={ok ? 'check check-ok' : 'check check-warning'} aria-label={s.dataset}>
      <span className="check-mark" aria-hidden="true">{ok ? '✓' : '!'}</span>
      <div>
        <p>
          <code>{s.dataset}</code>: {ok ? `${user} holds what the app needs.` : `${user} lacks ${s.missing.join(', ')}.`} {s.held.length > 0 && <span className="muted">Holds: {s.held.join(', ')}.</span>}
        </p>
        {s.grant && (
          <p className="actions">
            <button type="button" disabled={act.busy} onClick={() => void act.run(() => api.invoke('delegation:grant', { source: s.dataset }), 'Could not grant.')}>
              Grant
            </button>
            <span>
              runs as root: <code>{shown(s.grant)}</code>
            </span>
          </p>
        )}
        {s.revoke && (
          <p className="actions">
            <button type="button" className="secondary" disabled={act.busy} onClick={() => void act.run(() => api.invoke('delegation:revoke', { source: s.dataset }), 'Could not revoke.')}>
              Revoke
            </button>
            <span>
              runs as root: <code>{shown(s.revoke)}</code>
            </span>
          </p>
        )}
        {act.refusal && <p role="alert" className="error">{act.refusal}</p>}
      </div>
    </li>
  )
}
