// The tray window: one page, views switched in place. State comes from main (state:get, then
// state:changed); the run's events (run:event) add the command log and the wizard's progress.
import { useState } from 'react'
import type { BackupApi } from '../../preload/contract'
import { AdoptForm } from './AdoptForm'
import { ApiContext, NowContext, useAppState } from './api'
import { DesktopSettings } from './DesktopSettings'
import { DoctorChecks } from './DoctorChecks'
import { DelegationCard } from './DelegationCard'
import { SnapshotNowSettings } from './SnapshotNowSettings'
import { FirstRun } from './FirstRun'
import { HistoryView } from './HistoryView'
import { LastRunBanner } from './LastRunBanner'
import { Nav, type View } from './Nav'
import { ProgressPanel } from './ProgressPanel'
import { RestoreView } from './RestoreView'
import { useRunFeed } from './runFeed'
import { SetupWizard } from './SetupWizard'
import { SnapshotsView } from './SnapshotsView'
import { SourcePicker } from './SourcePicker'
import { StatusView } from './StatusView'

const realNow = () => new Date()

export function App({ api, now = realNow }: { api: BackupApi; now?: () => Date }) {
  return (
    <ApiContext.Provider value={api}>
      <NowContext.Provider value={now}>
        <Window api={api} />
      </NowContext.Provider>
    </ApiContext.Provider>
  )
}

function Window({ api }: { api: BackupApi }) {
  const { state, error } = useAppState(api)
  const feed = useRunFeed(api)
  const [view, setView] = useState<View>('status')

  if (error && !state)
    return (
      <main className="app">
        <p role="alert" className="error">The app’s state could not be read: {error}</p>
      </main>
    )
  if (!state)
    return (
      <main className="app" aria-busy="true">
        Loading…
      </main>
    )

  // A refresh key for lists that change when a run ends.
  const lastRunKey = state.lastRun ? `${state.lastRun.id}:${state.lastRun.outcome}` : null

  return (
    <div className="app">
      <header className="top">
        <h1>ZFS Drive Backup</h1>
        {state.configured && <Nav view={view} onChange={setView} />}
      </header>
      <main className="content">
        {state.problems?.map((p) => (
          <p key={p} role="alert" className="error">
            {p}
          </p>
        ))}
        {state.run && <ProgressPanel run={state.run} feed={feed} />}
        {!state.run && state.lastRun && (view === 'status' || !state.configured) && <LastRunBanner run={state.lastRun} drives={state.drives} />}
        {!state.configured && <FirstRun state={state} feed={feed} />}
        {!state.configured && <DesktopSettings />}
        {state.configured && view === 'status' && <StatusView state={state} />}
        {state.configured && view === 'history' && <HistoryView refreshKey={lastRunKey} />}
        {state.configured && view === 'snapshots' && <SnapshotsView drives={state.drives} refreshKey={lastRunKey} />}
        {state.configured && view === 'restore' && <RestoreView state={state} />}
        {state.configured && view === 'drives' && (
          <>
            <SetupWizard state={state} feed={feed} />
            <AdoptForm sources={state.sources} />
          </>
        )}
        {state.configured && view === 'checks' && (
          <>
            <DoctorChecks />
            <DelegationCard refreshKey={lastRunKey} />
            <SnapshotNowSettings sources={state.sources} />
            <SourcePicker current={state.sources} />
            <DesktopSettings />
          </>
        )}
      </main>
    </div>
  )
}
