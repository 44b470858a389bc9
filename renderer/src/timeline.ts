// Source and drive snapshots on one timeline: the same snapshot has the same GUID on both sides (a raw send
// keeps it), so rows are matched by GUID, then by the name after "@" for rows without a match.
import type { SnapshotRow } from '../../preload/contract'
import { datasetOf, snapName } from './format'

export interface TimelineRow {
  key: string
  name: string
  createdAt: string
  sourceName: string | null
  driveName: string | null
}

export interface TimelineGroup {
  dataset: string
  rows: TimelineRow[]
}

export function timeline(source: SnapshotRow[], drive: SnapshotRow[] | null): TimelineGroup[] {
  const groups = new Map<string, Map<string, TimelineRow>>()
  const byGuid = new Map<string, TimelineRow>()
  const byName = new Map<string, TimelineRow>()
  const group = (dataset: string) => {
    let g = groups.get(dataset)
    if (!g) groups.set(dataset, (g = new Map()))
    return g
  }
  for (const s of source) {
    const row: TimelineRow = { key: `s:${s.name}`, name: snapName(s.name), createdAt: s.createdAt, sourceName: s.name, driveName: null }
    group(datasetOf(s.name)).set(row.key, row)
    byGuid.set(s.guid, row)
    if (!byName.has(row.name)) byName.set(row.name, row)
  }
  for (const d of drive ?? []) {
    const match = byGuid.get(d.guid) ?? byName.get(snapName(d.name))
    if (match && match.driveName === null) {
      match.driveName = d.name
      continue
    }
    const row: TimelineRow = { key: `d:${d.name}`, name: snapName(d.name), createdAt: d.createdAt, sourceName: null, driveName: d.name }
    group(`${datasetOf(d.name)} (drive)`).set(row.key, row)
  }
  return [...groups].map(([dataset, rows]) => ({ dataset, rows: [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) }))
}
