// Whether an interrupted transfer may be continued. The token comes from the drive, so it is judged
// against what this machine knows: it must name this source, a snapshot (by guid) the source still has,
// a base the drive and the laptop both still hold, and a raw stream when the backup is raw. Anything
// else is discarded with `zfs receive -A`, and the run says why; a fresh send follows.
import type { ResumeToken } from '../system/resume-token'

export type ResumeVerdict = { accept: true; token: ResumeToken } | { accept: false; reason: string }

export interface ResumeFacts {
  source: string
  /** Guids of the source's snapshots. */
  sourceSnapshotGuids: ReadonlySet<string>
  /** Guids of the source's bookmarks (an incremental may start from one). */
  sourceBookmarkGuids: ReadonlySet<string>
  targetSnapshotGuids: ReadonlySet<string>
  raw: boolean
}

/** Pure: the verdict on a token already read by readResumeToken (null: it could not be read). */
export function judgeResumeToken(t: ResumeToken | null, f: ResumeFacts): ResumeVerdict {
  if (!t) return { accept: false, reason: 'it could not be read (corrupt, or not what zfs itself decodes)' }
  const at = t.toname.indexOf('@')
  const dataset = at < 0 ? t.toname : t.toname.slice(0, at)
  if (dataset !== f.source) return { accept: false, reason: `it continues a send of ${JSON.stringify(t.toname)}, not of ${f.source}` }
  if (!f.sourceSnapshotGuids.has(t.toguid)) return { accept: false, reason: `the snapshot it continues (${t.toname}, guid ${t.toguid}) is no longer on the laptop` }
  if (f.raw && !t.rawok) return { accept: false, reason: 'it continues a non-raw stream, which would put decrypted data on the drive' }
  if (!f.raw && t.rawok) return { accept: false, reason: 'it continues a raw stream, but this backup is configured non-raw' }
  if (f.targetSnapshotGuids.has(t.toguid)) return { accept: false, reason: `the drive already holds ${t.toname}` }
  if (t.fromguid === null) {
    if (f.targetSnapshotGuids.size > 0) return { accept: false, reason: 'it continues a full send, but the drive already holds snapshots of this dataset' }
  } else {
    if (!f.targetSnapshotGuids.has(t.fromguid)) return { accept: false, reason: `its base (guid ${t.fromguid}) is not on the drive` }
    if (!f.sourceSnapshotGuids.has(t.fromguid) && !f.sourceBookmarkGuids.has(t.fromguid)) return { accept: false, reason: `its base (guid ${t.fromguid}) is no longer on the laptop` }
  }
  return { accept: true, token: t }
}
