// `zfs send -nvP`: a dry run that prints the stream size without reading any data. The app uses it to know
// a replication's byte total before syncoid starts (syncoid announces each segment only as it begins).
import { assertSnapshotName } from './names'

export function sendEstimateArgv(o: { raw: boolean; from: string | null; to: string; token?: string }): string[] {
  const argv = ['zfs', 'send', '-n', '-v', '-P']
  if (o.token) {
    if (!/^[0-9a-f-]+$/i.test(o.token)) throw new Error('resume token: unexpected characters')
    return [...argv, '-t', o.token]
  }
  if (o.raw) argv.push('-w')
  if (o.from) {
    assertSnapshotName(o.from, 'send from')
    argv.push('-I', o.from)
  }
  assertSnapshotName(o.to, 'send')
  return [...argv, o.to]
}

/** The `size\t<bytes>` line that closes -P output (incremental -I runs print one per snapshot, then the total). */
export function parseSendEstimate(output: string): number | null {
  const sizes = [...output.matchAll(/^size\t(\d+)$/gm)].map((m) => Number(m[1]))
  return sizes.length ? sizes[sizes.length - 1]! : null
}
