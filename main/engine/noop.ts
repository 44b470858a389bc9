// "Nothing changed since the last verified run", decided from snapshots_changed alone. The property has
// one-second resolution, so a value is only trusted when it was read after its second had passed: a
// snapshot taken later in that same second would not change it.
import type { Runner } from '../system/runner'
import { DATASET_PROPERTIES, getManyProperties, type DatasetProperties, type ListedSnapshot } from '../system/zfs'
import type { ReplicationPlan } from './plan'
import { writeVerified, type VerifiedPair } from './verified-state'

/** What to record after a verified run: the value, or null when it is the current second (or later). */
export function trustworthyChanged(value: number | null, nowSeconds: number): number | null {
  return value !== null && value < nowSeconds ? value : null
}

export function nothingChanged(last: VerifiedPair | undefined, target: string, now: { source: number | null; target: number | null }): boolean {
  if (!last || last.target !== target) return false
  if (last.sourceChanged === null || last.targetChanged === null || now.source === null || now.target === null) return false
  return last.sourceChanged === now.source && last.targetChanged === now.target
}

/** snapshots_changed (and any resume token) of every source and target, read in one `zfs get`. */
export interface ChangeReading {
  /** Whole seconds at which the reading started: values from this second on are not trusted. */
  second: number
  changed: Map<string, number | null>
  tokens: Set<string>
  props: Map<string, DatasetProperties>
}

export async function readChanges(runner: Runner, datasets: readonly string[], properties: readonly string[] = DATASET_PROPERTIES): Promise<ChangeReading> {
  const second = Math.floor(Date.now() / 1000)
  const props = await getManyProperties(runner, datasets, [...properties, 'snapshots_changed'])
  const changed = new Map<string, number | null>()
  const tokens = new Set<string>()
  for (const d of datasets) {
    const p = props.get(d)
    const v = p?.raw.snapshots_changed?.value
    changed.set(d, v !== undefined && /^\d+$/.test(v) ? Number(v) : null)
    if (p?.receiveResumeToken) tokens.add(d)
  }
  return { second, changed, tokens, props }
}

/** Every pair unchanged since the last verified run: the plans come from that run's record, no listing. */
export function unchangedPlans(pairs: readonly { source: string; target: string }[], last: Record<string, VerifiedPair>, r: ChangeReading): ReplicationPlan[] | null {
  const plans: ReplicationPlan[] = []
  for (const { source, target } of pairs) {
    const rec = last[source]
    const sourceProps = r.props.get(source)
    if (!sourceProps || r.tokens.has(target) || !nothingChanged(rec, target, { source: r.changed.get(source) ?? null, target: r.changed.get(target) ?? null })) return null
    const snap = (dataset: string): ListedSnapshot => ({ name: `${dataset}@${rec!.snapshot}`, dataset, snapshot: rec!.snapshot, guid: rec!.guid, createtxg: '0' })
    plans.push({
      source, target, targetExists: true, resumeToken: null, common: rec!.snapshot, newest: rec!.snapshot, transfers: [], totalBytes: 0,
      sourceSnapshots: [snap(source)], targetSnapshots: [snap(target)], sourceBookmarks: [], sourceProps,
    })
  }
  return plans
}

/**
 * After a verified run: what each pair ended with. The source's value is the one read before the plan's
 * listing (a snapshot sanoid takes during the run must not look sent), recorded only when verify read it
 * unchanged. The target's is verify's reading, taken after this run's own receive and prune; when its
 * value was the second verify read it in, it is read once more after that second has passed (the
 * bookmark commands usually fill the wait).
 */
export async function recordVerified(runner: Runner, path: string, poolGuid: string, plans: readonly ReplicationPlan[], atPlan: ChangeReading, atVerify: ChangeReading): Promise<VerifiedPair[]> {
  const targets = plans.map((p) => p.target)
  const settled = (r: ChangeReading): boolean => targets.every((t) => trustworthyChanged(r.changed.get(t) ?? null, r.second) !== null)
  let last = atVerify
  if (!settled(last)) {
    const latest = Math.max(...targets.map((t) => last.changed.get(t) ?? 0))
    const wait = (latest + 1) * 1000 - Date.now() + 20
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait))
    last = await readChanges(runner, targets, [])
  }
  const at = new Date().toISOString()
  const pairs = plans.map((p): VerifiedPair => {
    const before = trustworthyChanged(atPlan.changed.get(p.source) ?? null, atPlan.second)
    // Changed since the plan (sanoid took one): not known to be sent, so not recorded.
    const source = before !== null && atVerify.changed.get(p.source) === before ? before : null
    const newest = p.sourceSnapshots.at(-1)!
    return { source: p.source, target: p.target, sourceChanged: source, targetChanged: trustworthyChanged(last.changed.get(p.target) ?? null, last.second), snapshot: newest.snapshot, guid: newest.guid, at }
  })
  writeVerified(path, poolGuid, pairs)
  return pairs
}
