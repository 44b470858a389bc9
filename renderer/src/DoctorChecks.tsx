// Prerequisites from doctor: each check, and for a failed one the fix for Debian and for NixOS.
import { useApi, useLoad } from './api'

export function DoctorChecks() {
  const api = useApi()
  const checks = useLoad(() => api.invoke('doctor:get', undefined), [api])
  return (
    <section className="card" aria-labelledby="doctor-title">
      <div className="view-head">
        <h2 id="doctor-title">Check this computer</h2>
        <button type="button" className="secondary" onClick={checks.reload} disabled={checks.loading}>
          Check again
        </button>
      </div>
      {checks.error && <p role="alert" className="error">The checks could not run: {checks.error}</p>}
      {checks.data && (
        <ul className="checks">
          {checks.data.map((c) => (
            <li key={c.id} className={c.ok ? 'check check-ok' : `check check-${c.severity}`}>
              <span className="check-mark" aria-hidden="true">{c.ok ? '✓' : c.severity === 'error' ? '✗' : '!'}</span>
              <div>
                <p>
                  <strong>{c.title}</strong>
                  <span className="visually-hidden">{c.ok ? ': ok' : c.severity === 'error' ? ': missing' : ': warning'}</span> — {c.detail}
                </p>
                {!c.ok && c.fix && (
                  <dl className="fixes">
                    {c.fix.debian && (
                      <>
                        <dt>Debian, Ubuntu</dt>
                        <dd>
                          <code>{c.fix.debian}</code>
                        </dd>
                      </>
                    )}
                    {c.fix.nixos && (
                      <>
                        <dt>NixOS (configuration.nix)</dt>
                        <dd>
                          <code>{c.fix.nixos}</code>
                        </dd>
                      </>
                    )}
                  </dl>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
