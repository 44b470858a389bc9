// A new backup drive: pick a disk (ineligible ones say why), name it, type the disk's name to confirm
// the erase, then follow the setup and the first replication from the run's events.
import { useId, useRef, useState } from 'react'
import type { AppState } from '../../preload/contract'
import { useAction, useApi, useLoad } from './api'
import { DiskList, diskName } from './DiskList'
import { RunWatch } from './RunWatch'
import type { RunFeed } from './runFeed'

type Stage = 'pick' | 'confirm' | 'running'

export function SetupWizard({ state, feed }: { state: AppState; feed: RunFeed }) {
  const api = useApi()
  const id = useId()
  const disks = useLoad(() => api.invoke('disks:list', undefined), [api])
  const [stage, setStage] = useState<Stage>('pick')
  const [disk, setDisk] = useState<string | null>(null)
  const [name, setName] = useState('')
  const [typed, setTyped] = useState('')
  const start = useAction()
  const first = useAction()
  const before = useRef<string | null>(null)

  const chosen = disks.data?.find((d) => d.byId === disk) ?? null
  const expected = chosen ? diskName(chosen) : ''
  const nameOk = /^[^\0\n]{1,64}$/.test(name.trim())
  const ours = stage === 'running' && feed.runId !== null && feed.runId !== before.current
  const newDrive = state.drives.find((d) => d.name === name.trim())
  const setupDone = ours && feed.verb === 'setup' && feed.finished?.outcome === 'succeeded'

  if (stage === 'running') {
    return (
      <section className="card wizard" aria-labelledby={`${id}-t`}>
        <h2 id={`${id}-t`}>Setting up {name.trim()}</h2>
        <RunWatch feed={ours ? feed : { ...feed, runId: null }} run={state.run} />
        {setupDone && newDrive && (
          <div className="actions">
            <button type="button" className="primary big" disabled={!newDrive.canBackUp.ok || state.run !== null || first.busy} onClick={() => void first.run(() => api.invoke('backup:start', { drive: newDrive.name }), 'The first backup could not start.')}>
              Start the first backup
            </button>
            {!newDrive.canBackUp.ok && newDrive.canBackUp.reason && <span className="why">{newDrive.canBackUp.reason}</span>}
          </div>
        )}
        {first.refusal && <p role="alert" className="error">{first.refusal}</p>}
      </section>
    )
  }

  return (
    <section className="card wizard" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Set up a new drive</h2>
      {stage === 'pick' && (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            if (chosen && nameOk) setStage('confirm')
          }}
        >
          {disks.error && <p role="alert" className="error">The disks could not be listed: {disks.error}</p>}
          {disks.data && <DiskList disks={disks.data} value={disk} onChange={setDisk} />}
          <div className="actions">
            <button type="button" className="secondary" onClick={disks.reload} disabled={disks.loading}>
              Look again
            </button>
          </div>
          <p className="field">
            <label htmlFor={`${id}-name`}>Name for this drive</label>
            <input id={`${id}-name`} value={name} maxLength={64} onChange={(e) => setName(e.target.value)} placeholder="for example: Blue T7" autoComplete="off" />
          </p>
          <div className="actions">
            <button type="submit" disabled={!chosen || !nameOk}>
              Next
            </button>
          </div>
        </form>
      )}
      {stage === 'confirm' && chosen && (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            if (typed !== expected) return
            before.current = feed.runId
            void start.run(() => api.invoke('setup:start', { disk: chosen.byId, name: name.trim(), confirm: typed }), 'The setup could not start.').then((ok) => ok && setStage('running'))
          }}
        >
          <p className="warn">
            <strong>Everything on this disk will be erased.</strong> It becomes an encrypted ZFS pool that holds only your backups.
          </p>
          <p>
            To confirm, type the disk’s name: <code className="by-id">{expected}</code>
          </p>
          <p className="field">
            <label htmlFor={`${id}-confirm`}>Disk name</label>
            <input id={`${id}-confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
          </p>
          <div className="actions">
            <button type="button" className="secondary" onClick={() => setStage('pick')}>
              Back
            </button>
            <button type="submit" className="danger" disabled={typed !== expected || start.busy}>
              Erase and set up
            </button>
          </div>
          {start.refusal && <p role="alert" className="error">{start.refusal}</p>}
        </form>
      )}
    </section>
  )
}
