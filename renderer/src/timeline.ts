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
  // Which source dataset each drive dataset receives, learnt from the snapshots both sides share.
  const targetOf = new Map<string, string>()
  const unmatched: SnapshotRow[] = []
  for (const d of drive ?? []) {
    const match = byGuid.get(d.guid) ?? byName.get(snapName(d.name))
    if (match && match.driveName === null && match.sourceName) {
      match.driveName = d.name
      targetOf.set(datasetOf(d.name), datasetOf(match.sourceName))
    } else unmatched.push(d)
  }
  // Older snapshots pruned on the laptop but kept on the drive belong on the same timeline.
  for (const d of unmatched) {
    const row: TimelineRow = { key: `d:${d.name}`, name: snapName(d.name), createdAt: d.createdAt, sourceName: null, driveName: d.name }
    group(targetOf.get(datasetOf(d.name)) ?? `${datasetOf(d.name)} (drive)`).set(row.key, row)
  }
  return [...groups].map(([dataset, rows]) => ({ dataset, rows: [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) }))
}
