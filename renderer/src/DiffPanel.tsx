// zfs diff between two snapshots of one dataset (or a snapshot and the live files).
import { useId, useState } from 'react'
import type { DiffEntry, SnapshotRow } from '../../preload/contract'
import { message, useApi } from './api'
import { datasetOf, snapName } from './format'

const changeText: Record<DiffEntry['change'], string> = { '+': 'added', '-': 'removed', M: 'modified', R: 'renamed' }
const changeMark: Record<DiffEntry['change'], string> = { '+': '+', '-': '−', M: 'M', R: 'R' }
const NOW = '\u0000now'

export function DiffPanel({ snapshots }: { snapshots: SnapshotRow[] }) {
  const api = useApi()
  const id = useId()
  const datasets = [...new Set(snapshots.map((s) => datasetOf(s.name)))]
  const [dataset, setDataset] = useState(datasets[0] ?? '')
  const ofDataset = snapshots.filter((s) => datasetOf(s.name) === dataset).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  const [from, setFrom] = useState(ofDataset.at(-2)?.name ?? '')
  const [to, setTo] = useState(ofDataset.at(-1)?.name ?? '')
  const [entries, setEntries] = useState<DiffEntry[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const pickDataset = (ds: string) => {
    setDataset(ds)
    const rows = snapshots.filter((s) => datasetOf(s.name) === ds).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    setFrom(rows.at(-2)?.name ?? '')
    setTo(rows.at(-1)?.name ?? '')
    setEntries(null)
  }

  const show = async () => {
    setBusy(true)
    setError(null)
    setEntries(null)
    try {
      const r = await api.invoke('diff:get', { dataset, from: snapName(from), to: to === NOW ? dataset : snapName(to) })
      setEntries(r.entries)
    } catch (e) {
      setError(message(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card diff" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>What changed between two snapshots</h3>
      <form
        className="diff-form"
        onSubmit={(e) => {
          e.preventDefault()
          void show()
        }}
      >
        {datasets.length > 1 && (
          <p className="field">
            <label htmlFor={`${id}-ds`}>Dataset</label>
            <select id={`${id}-ds`} value={dataset} onChange={(e) => pickDataset(e.target.value)}>
              {datasets.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          </p>
        )}
        <p className="field">
          <label htmlFor={`${id}-from`}>From</label>
          <select id={`${id}-from`} value={from} onChange={(e) => setFrom(e.target.value)}>
            {ofDataset.map((s) => (
              <option key={s.name} value={s.name}>
                {snapName(s.name)}
              </option>
            ))}
          </select>
        </p>
        <p className="field">
          <label htmlFor={`${id}-to`}>To</label>
          <select id={`${id}-to`} value={to} onChange={(e) => setTo(e.target.value)}>
            {ofDataset.map((s) => (
              <option key={s.name} value={s.name}>
                {snapName(s.name)}
              </option>
            ))}
            <option value={NOW}>now (the live files)</option>
          </select>
        </p>
        <p className="actions">
          <button type="submit" disabled={busy || !from || !to || from === to}>
            Show changes
          </button>
        </p>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {entries && entries.length === 0 && <p role="status">No changes.</p>}
      {entries && entries.length > 0 && (
        <>
          <p className="legend muted">+ added · − removed · M modified · R renamed</p>
          <ul className="diff-list" aria-label="Changes">
            {entries.map((e, i) => (
              <li key={i} className={`change change-${changeText[e.change]}`}>
                <span className="change-mark" aria-hidden="true">{changeMark[e.change]}</span>
                <span className="visually-hidden">{changeText[e.change]}: </span>
                <code>{e.path}</code>
                {e.newPath && (
                  <>
                    {' → '}
                    <code>{e.newPath}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
