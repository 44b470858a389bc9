// "Start at login", and where the tray icon cannot be seen, how to get back to the window once it is
// closed. Shown on the first run and under Checks.
import { useId, useState } from 'react'
import { useAction, useApi, useLoad } from './api'

export function DesktopSettings() {
  const api = useApi()
  const id = useId()
  const info = useLoad(() => api.invoke('desktop:get', undefined), [api])
  const action = useAction()
  const [on, setOn] = useState<boolean | null>(null)
  // A shell that does not know these channels (an old main) simply gets no section.
  if (!info.data) return null
  const checked = on ?? info.data.startAtLogin
  const toggle = async (enabled: boolean) => {
    setOn(enabled)
    if (!(await action.run(() => api.invoke('autostart:set', { enabled }), 'The setting could not be changed.'))) setOn(!enabled)
  }
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>On this desktop</h2>
      <p>
        <input type="checkbox" id={`${id}-login`} checked={checked} disabled={action.busy} onChange={(e) => void toggle(e.target.checked)} aria-describedby={`${id}-about`} />{' '}
        <label htmlFor={`${id}-login`}>Start at login</label>
      </p>
      <p id={`${id}-about`} className="muted">
        The app notices the drive only while it runs: started at login, it waits in the background.
      </p>
      {action.refusal && (
        <p role="alert" className="error">
          {action.refusal}
        </p>
      )}
      {info.data.noTrayHint && (
        <p role="note" className="notice">
          No system tray was found, so the app’s icon cannot be seen. {info.data.noTrayHint}
        </p>
      )}
    </section>
  )
}
