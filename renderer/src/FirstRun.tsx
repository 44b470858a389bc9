// No drive configured yet: prerequisites, sources, then a new drive or one prepared with the guide.
import { useState } from 'react'
import type { AppState } from '../../preload/contract'
import { AdoptForm } from './AdoptForm'
import { DoctorChecks } from './DoctorChecks'
import type { RunFeed } from './runFeed'
import { SetupWizard } from './SetupWizard'
import { SourcePicker } from './SourcePicker'

export function FirstRun({ state, feed }: { state: AppState; feed: RunFeed }) {
  const [how, setHow] = useState<'new' | 'adopt' | null>(null)
  const haveSources = state.sources.length > 0
  return (
    <div className="first-run">
      <p className="lead">Welcome. Three steps to your first encrypted backup: check the tools, choose what to back up, and prepare the drive.</p>
      <DoctorChecks />
      <SourcePicker current={state.sources} />
      <section className="card" aria-labelledby="drive-choice-title">
        <h2 id="drive-choice-title">Prepare the backup drive</h2>
        {!haveSources && <p className="why">Choose what to back up first.</p>}
        <div className="actions">
          <button type="button" aria-pressed={how === 'new'} disabled={!haveSources} onClick={() => setHow('new')}>
            Set up a new drive
          </button>
          <button type="button" aria-pressed={how === 'adopt'} className="secondary" disabled={!haveSources} onClick={() => setHow('adopt')}>
            Use a drive prepared with the guide
          </button>
        </div>
      </section>
      {haveSources && how === 'new' && <SetupWizard state={state} feed={feed} />}
      {haveSources && how === 'adopt' && <AdoptForm sources={state.sources} />}
    </div>
  )
}
