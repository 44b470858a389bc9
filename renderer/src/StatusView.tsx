import type { AppState } from '../../preload/contract'
import { DriveCard } from './DriveCard'

export function StatusView({ state }: { state: AppState }) {
  if (state.drives.length === 0) return <p role="status">No backup drive is set up yet.</p>
  return (
    <div className="drives">
      {state.drives.map((d) => (
        <DriveCard key={d.name} drive={d} running={state.run !== null} />
      ))}
    </div>
  )
}
