import { useEffect, useState } from 'react'
import type { AppState, BackupApi } from '../../preload/contract'
import { DriveCard } from './DriveCard'

export function App({ api }: { api: BackupApi }) {
  const [state, setState] = useState<AppState | null>(null)
  const [message, setMessage] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    void api.invoke('state:get', undefined).then((s) => live && setState(s))
    const off = api.on('state:changed', setState)
    return () => {
      live = false
      off()
    }
  }, [api])

  if (!state) return <main aria-busy="true">Loading…</main>

  const backUp = async (drive: string) => {
    const answer = await api.invoke('backup:start', { drive })
    setMessage(answer.accepted ? null : (answer.reason ?? 'The backup could not start.'))
  }

  return (
    <main>
      <h1>ZFS Drive Backup</h1>
      {!state.configured && <p role="status">No backup drive is set up yet.</p>}
      {state.drives.map((d) => (
        <DriveCard key={d.name} drive={d} running={state.run?.drive === d.name} onBackUp={() => void backUp(d.name)} />
      ))}
      {message && <p role="alert">{message}</p>}
    </main>
  )
}
