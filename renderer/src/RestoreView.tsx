// Restore: unlock the drive's copy with the passphrase (sent once, never kept), pick a snapshot and a path,
// restore it into a folder chosen in the system dialog, then close (unmount, unload the key, export).
import { useId, useRef, useState } from 'react'
import type { AppState, DriveStatus } from '../../preload/contract'
import { useAction, useApi, useLoad } from './api'
import { DrivePicker } from './DrivePicker'
import { snapName, when } from './format'

export function RestoreView({ state }: { state: AppState }) {
  const [drive, setDrive] = useState(state.restore?.drive ?? state.drives[0]?.name ?? '')
  const d = state.drives.find((x) => x.name === drive)
  const open = state.restore && state.restore.drive === drive ? state.restore : null
  return (
    <section aria-labelledby="restore-title">
      <h2 id="restore-title">Restore files</h2>
      <DrivePicker drives={state.drives} value={drive} onChange={setDrive} />
      {!d && <p>No drive is set up.</p>}
      {d && !open && <Unlock drive={d} running={state.run !== null} otherOpen={state.restore?.drive ?? null} />}
      {d && open && <Browse drive={d} snapshotDir={open.snapshotDir} running={state.run !== null} />}
    </section>
  )
}

function Unlock({ drive, running, otherOpen }: { drive: DriveStatus; running: boolean; otherOpen: string | null }) {
  const api = useApi()
  const id = useId()
  const field = useRef<HTMLInputElement>(null)
  // Only whether something is typed lives in React state; the passphrase itself stays in the field until submit.
  const [hasText, setHasText] = useState(false)
  const unlock = useAction()
  const blocked = running ? 'Wait for the run to finish.' : otherOpen ? `Close the backup on ${otherOpen} first.` : drive.presence === 'absent' || drive.presence === 'poweredOff' ? 'Connect the drive first.' : null
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault()
        const input = field.current
        if (!input || !input.value || blocked) return
        const passphrase = input.value
        input.value = ''
        setHasText(false)
        void unlock.run(() => api.invoke('restore:open', { drive: drive.name, passphrase }), 'The backup could not be opened.')
      }}
    >
      <p>The copy on the drive is encrypted with the same passphrase as the dataset on this computer. It is used once to load the key and is not stored.</p>
      <p className="field">
        <label htmlFor={`${id}-pass`}>Passphrase</label>
        <input id={`${id}-pass`} ref={field} type="password" autoComplete="off" spellCheck={false} onChange={(e) => setHasText(e.target.value.length > 0)} />
      </p>
      <div className="actions">
        <button type="submit" disabled={!hasText || blocked !== null || unlock.busy} aria-describedby={blocked ? `${id}-why` : undefined}>
          Open the backup
        </button>
        {blocked && <span id={`${id}-why`} className="why">{blocked}</span>}
      </div>
      {unlock.refusal && <p role="alert" className="error">{unlock.refusal}</p>}
    </form>
  )
}

function Browse({ drive, snapshotDir, running }: { drive: DriveStatus; snapshotDir: string; running: boolean }) {
  const api = useApi()
  const id = useId()
  const list = useLoad(() => api.invoke('snapshots:list', { drive: drive.name }), [api, drive.name])
  const snaps = [...(list.data?.drive ?? list.data?.source ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  const fromSource = list.data !== null && list.data.drive === null
  const [snapshot, setSnapshot] = useState('')
  const [path, setPath] = useState('')
  const [to, setTo] = useState<string | null>(null)
  const [force, setForce] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const choose = useAction()
  const restore = useAction()
  const close = useAction()
  const snap = snapshot || (snaps[0] ? snapName(snaps[0].name) : '')
  const ready = snap !== '' && path.trim() !== '' && to !== null && !running

  return (
    <div className="card">
      <p role="status">
        The backup on <strong>{drive.name}</strong> is open, read-only. Its snapshots are under <code>{snapshotDir}</code>.
      </p>
      {list.error && <p role="alert" className="error">{list.error}</p>}
      {fromSource && <p className="note">The drive’s own list could not be read; these are the names on this computer. {list.data?.driveNote}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (!ready || to === null) return
          setDone(null)
          const p = path.trim().replace(/^\/+/, '')
          void restore.run(() => api.invoke('restore:file', { drive: drive.name, snapshot: snap, path: p, to, force }), 'The file could not be restored.').then((ok) => ok && setDone(`${p} from @${snap} restored into ${to}.`))
        }}
      >
        <p className="field">
          <label htmlFor={`${id}-snap`}>Snapshot</label>
          <select id={`${id}-snap`} value={snap} onChange={(e) => setSnapshot(e.target.value)}>
            {snaps.map((s) => (
              <option key={s.name} value={snapName(s.name)}>
                {snapName(s.name)} ({when(s.createdAt)})
              </option>
            ))}
          </select>
        </p>
        <p className="field">
          <label htmlFor={`${id}-path`}>File or folder inside the snapshot</label>
          <input id={`${id}-path`} value={path} onChange={(e) => setPath(e.target.value)} placeholder="alice/Documents/report.odt" autoComplete="off" spellCheck={false} />
          <span className="muted">
            Relative to <code>{`${snapshotDir.replace(/\/+$/, '')}/${snap}/`}</code>
          </span>
        </p>
        <p className="field">
          <span id={`${id}-to-label`}>Restore into</span>
          <span className="folder">
            <code aria-labelledby={`${id}-to-label`}>{to ?? 'no folder chosen'}</code>
            <button type="button" className="secondary" disabled={choose.busy} onClick={() => void choose.run(async () => {
              const folder = await api.invoke('folder:choose', undefined)
              if (folder) setTo(folder)
              return { accepted: true }
            }, '')}>
              Choose folder…
            </button>
          </span>
        </p>
        <p>
          <input type="checkbox" id={`${id}-force`} checked={force} onChange={(e) => setForce(e.target.checked)} /> <label htmlFor={`${id}-force`}>Replace a file that already exists there</label>
        </p>
        <div className="actions">
          <button type="submit" disabled={!ready || restore.busy}>
            Restore
          </button>
        </div>
        {restore.refusal && <p role="alert" className="error">{restore.refusal}</p>}
        {done && <p role="status" className="ok-text">{done}</p>}
      </form>
      <div className="actions">
        <button type="button" className="secondary" disabled={running || close.busy} onClick={() => void close.run(() => api.invoke('restore:close', { drive: drive.name }), 'The backup could not be closed.')}>
          Close the backup
        </button>
      </div>
      {close.refusal && <p role="alert" className="error">{close.refusal}</p>}
    </div>
  )
}
