// `snapshots_changed` (OpenZFS >= 2.2): when a dataset's snapshot list last changed, in whole seconds.
// One `zfs get` for both sides tells a run that nothing happened since the last verified backup, without
// listing any snapshot.
import { assertDatasetName } from './names'
import { parsePropertyRows } from './zfs'

export function snapshotsChangedArgv(datasets: readonly string[]): string[] {
  for (const d of datasets) assertDatasetName(d)
  return ['zfs', 'get', '-Hp', '-o', 'name,property,value,source', 'snapshots_changed', ...datasets]
}

/** Seconds since the epoch per dataset; null where zfs has no value ('-': never changed, or an older pool). */
export function parseSnapshotsChanged(stdout: string): Map<string, number | null> {
  const out = new Map<string, number | null>()
  for (const [name, props] of parsePropertyRows(stdout)) {
    const v = props.snapshots_changed?.value
    out.set(name, v !== undefined && /^\d+$/.test(v) ? Number(v) : null)
  }
  return out
}
