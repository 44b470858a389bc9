// "Nothing changed since the last verified run", decided from snapshots_changed alone. The property has
// one-second resolution, so a value is only trusted when it was read after its second had passed: a
// snapshot taken later in that same second would not change it. Pure.
import type { VerifiedPair } from './verified-state'

/** What to record after a verified run: the value, or null when it is the current second (or later). */
export function trustworthyChanged(value: number | null, nowSeconds: number): number | null {
  return value !== null && value < nowSeconds ? value : null
}

export function nothingChanged(last: VerifiedPair | undefined, target: string, now: { source: number | null; target: number | null }): boolean {
  if (!last || last.target !== target) return false
  if (last.sourceChanged === null || last.targetChanged === null || now.source === null || now.target === null) return false
  return last.sourceChanged === now.source && last.targetChanged === now.target
}
