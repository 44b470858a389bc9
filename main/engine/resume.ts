// Whether an interrupted transfer may be continued. The token comes from the drive, so it is judged
// against what this machine knows: it must name this source, a snapshot (by guid) the source still has,
// a base the drive and the laptop both still hold, and a raw stream when the backup is raw. Anything
// else is discarded with `zfs receive -A`, and the run says why; a fresh send follows.
import { isTokenSyntax, parseResumeSize, readResumeToken, resumeDecodeArgv, type ResumeToken } from '../system/resume-token'
import { receiveAbortArgv } from '../system/zfs'
import type { StepContext } from './pipeline'
import type { ReplicationPlan, Transfer } from './plan'

export type ResumeVerdict = { accept: true; token: ResumeToken } | { accept: false; reason: string }

export interface ResumeFacts {
  source: string
  /** Guids of the source's snapshots. */
  sourceSnapshotGuids: ReadonlySet<string>
  /** Guids of the source's bookmarks (an incremental may start from one). */
  sourceBookmarkGuids: ReadonlySet<string>
  targetSnapshotGuids: ReadonlySet<string>
  raw: boolean
  /** A raw send of an unencrypted dataset has no rawok flag (it is only compressed): nothing to decrypt. */
  sourceEncrypted: boolean
}

/** Pure: the verdict on a token already read by readResumeToken (null: it could not be read). */
export function judgeResumeToken(t: ResumeToken | null, f: ResumeFacts): ResumeVerdict {
  if (!t) return { accept: false, reason: 'it could not be read (corrupt, or not what zfs itself decodes)' }
  const at = t.toname.indexOf('@')
  const dataset = at < 0 ? t.toname : t.toname.slice(0, at)
  if (dataset !== f.source) return { accept: false, reason: `it continues a send of ${JSON.stringify(t.toname)}, not of ${f.source}` }
  if (!f.sourceSnapshotGuids.has(t.toguid)) return { accept: false, reason: `the snapshot it continues (${t.toname}, guid ${t.toguid}) is no longer on the laptop` }
  if (f.raw && f.sourceEncrypted && !t.rawok) return { accept: false, reason: 'it continues a non-raw stream, which would put decrypted data on the drive' }
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

/**
 * Settles a plan's resume token before anything is sent: an accepted token becomes the first transfer
 * (`zfs send -w -t`, then -I from the snapshot it ends at to the newest); any other is discarded with
 * `zfs receive -A` and the run says why (in a dry run it only says so).
 */
export async function settleResume(ctx: StepContext, plan: ReplicationPlan, raw: boolean, dryRun: boolean): Promise<ReplicationPlan> {
  const token = plan.resumeToken
  if (!token) return plan
  let read: ResumeToken | null = null
  let left: number | null = null
  let zfsSays = ''
  if (isTokenSyntax(token)) {
    const r = await ctx.runner.run(resumeDecodeArgv(token), { allowFailure: true })
    const out = `${r.stdout}\n${r.stderr}`
    read = readResumeToken(token, out)
    left = parseResumeSize(out)
    if (r.exitCode !== 0) zfsSays = r.stderr.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? `exit ${r.exitCode}`
  }
  const verdict: ResumeVerdict = zfsSays && read
    ? { accept: false, reason: `zfs cannot continue it (${zfsSays})` }
    : judgeResumeToken(read, {
      source: plan.source,
      sourceSnapshotGuids: new Set(plan.sourceSnapshots.map((s) => s.guid)),
      sourceBookmarkGuids: new Set(plan.sourceBookmarks.map((b) => b.guid)),
      targetSnapshotGuids: new Set(plan.targetSnapshots.map((s) => s.guid)),
      raw,
      sourceEncrypted: plan.sourceProps.encrypted,
    })
  if (verdict.accept) {
    const to = plan.sourceSnapshots.find((s) => s.guid === verdict.token.toguid)!
    const newest = plan.sourceSnapshots.at(-1)!
    ctx.info(`${plan.target}: continuing the interrupted transfer of @${to.snapshot} (${verdict.token.bytes} bytes already on the drive${left !== null ? `, ${left} to go` : ''})`)
    const rest: Transfer[] = to.guid === newest.guid ? [] : [{ base: { kind: 'incremental', from: to.name, intermediates: true }, to: newest.name, estimateBytes: null }]
    return { ...plan, transfers: [{ base: { kind: 'resume', token }, to: null, estimateBytes: left }, ...rest] }
  }
  if (!dryRun) await ctx.runner.run(receiveAbortArgv(plan.target))
  ctx.warn('resume-discarded', `${plan.target} held an interrupted transfer that cannot be continued: ${verdict.reason}. ${dryRun ? `A backup would discard it (zfs receive -A ${plan.target}) and send afresh.` : `It was discarded (zfs receive -A ${plan.target}); the backup sends afresh.`}`)
  return { ...plan, resumeToken: null }
}
