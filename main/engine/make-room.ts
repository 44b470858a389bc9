// What a backup does to the drive before it sends, and only when the user asked for it:
//  - the snapshots confirmed with --discard-from-drive (the laptop moved on, moved-on.ts) are destroyed;
//  - with --prune-first, what the drive's retention removes at this backup anyway is removed before the
//    transfer instead of after it, to make room on a full drive. Not the default: the guide (and
//    syncoid) prune after a successful send, so a failed send never costs the drive any history.
// And what it offers when the drive is full: the retention's removals, with the flag that applies them.
import type { Config, DriveConfig } from '../config/schema'
import { getManyProperties, rollbackArgv } from '../system/zfs'
import { bytes } from './units'
import type { StepContext } from './pipeline'
import type { ReplicationPlan } from './plan'
import { pruneDrive, retentionDecisions } from './prune-drive'
import type { AfterListing } from './replicate'
import { describeRetention } from './retention'
import { DriveFullError } from './transfer-failure'

export interface BeforeSending {
  config: Config
  drive: DriveConfig
  plans: ReplicationPlan[]
  dryRun: boolean
  pruneFirst: boolean
}

/** Runs the confirmed discards and (with --prune-first) the retention's removals; returns the plans as the drive now stands. */
export async function beforeSending(ctx: StepContext, s: BeforeSending): Promise<ReplicationPlan[]> {
  for (const p of s.plans) {
    if (!p.discard?.length) continue
    // Back to the newest shared snapshot: the later ones are exactly those confirmed (plan.ts checked).
    ctx.info(`${p.target}: ${s.dryRun ? 'would discard' : 'discarding'} ${p.discard.map((d) => `@${d.snapshot}`).join(', ')} (sent earlier, destroyed on the laptop since), as confirmed: back to @${p.common}`)
    await ctx.runner.run(rollbackArgv(`${p.target}@${p.common}`))
  }
  if (!s.pruneFirst) return s.plans
  const lists = beforeListing(s.plans)
  const { removed } = await pruneDrive(ctx, s.config, s.drive, s.plans, lists, s.dryRun)
  if (removed === 0) ctx.info('--prune-first: the drive\'s retention removes nothing at this backup')
  return s.plans.map((p) => ({ ...p, targetSnapshots: lists.get(p.target)?.tgt ?? p.targetSnapshots }))
}

function beforeListing(plans: readonly ReplicationPlan[]): Map<string, AfterListing> {
  return new Map(plans.filter((p) => p.targetExists).map((p) => [p.target, { src: p.sourceSnapshots, tgt: [...p.targetSnapshots] }]))
}

/** The retention's removals on the drive as it stands now, as a sentence with the flag; null when there are none. */
export async function pruneOffer(ctx: StepContext, s: BeforeSending): Promise<string | null> {
  const retention = s.drive.retention ?? 'mirror'
  if (retention === 'mirror' && !s.config.replication.deleteTargetSnapshots) return null
  const decisions = await retentionDecisions(ctx, s.drive, s.plans, beforeListing(s.plans), s.dryRun)
  const prune = [...decisions].flatMap(([target, d]) => d.prune.map((x) => `${target}@${x.snapshot}`))
  if (prune.length === 0) return null
  const shown = prune.length > 4 ? `${prune.slice(0, 3).join(', ')} and ${prune.length - 3} more` : prune.join(', ')
  return `The drive's retention (${describeRetention(retention)}) removes ${prune.length === 1 ? 'one snapshot' : `${prune.length} snapshots`} at this backup anyway, after the transfer (${shown}): back up with --prune-first to remove ${prune.length === 1 ? 'it' : 'them'} before sending instead.`
}

/** A full drive's error with what can be offered: the retention's removals, or a bigger drive. */
export async function withPruneOffer(ctx: StepContext, err: DriveFullError, s: BeforeSending): Promise<DriveFullError> {
  const offer = s.pruneFirst ? null : await pruneOffer(ctx, s).catch(() => null)
  const hint = offer
    ? `Nothing already on the drive was lost. ${offer}`
    : `Nothing already on the drive was lost. ${s.pruneFirst ? 'Even after the retention\'s removals it does not fit: ' : ''}use a bigger drive${(s.drive.retention ?? 'mirror') === 'mirror' ? '' : ', or keep fewer snapshots on this one (its keep policy)'}.`
  const out = new DriveFullError(err.target, err.neededBytes, err.freeBytes, err.message, hint)
  out.outputs = err.outputs
  return out
}

/**
 * A dry run cannot hit ENOSPC, so it compares the estimate with the space free where each target lives,
 * and says in advance when the backup would not fit (and what --prune-first would remove).
 */
export async function checkRoomDryRun(ctx: StepContext, s: BeforeSending): Promise<void> {
  // With --prune-first the free space is not yet what the transfer will find; the dry run lists the removals.
  if (s.pruneFirst) return
  const parents = [...new Set(s.plans.map((p) => p.target.slice(0, p.target.lastIndexOf('/'))).filter(Boolean))]
  if (parents.length === 0) return
  const props = await getManyProperties(ctx.runner, parents, ['available']).catch(() => null)
  for (const p of s.plans) {
    const free = Number(props?.get(p.target.slice(0, p.target.lastIndexOf('/')))?.raw.available?.value)
    if (p.totalBytes === null || !Number.isFinite(free) || p.totalBytes <= free) continue
    const offer = await pruneOffer(ctx, s).catch(() => null)
    ctx.warn('drive-too-full', `${p.target}: this backup needs about ${bytes(p.totalBytes)} and the drive has ${bytes(free)} free, so it would not fit.${offer ? ` ${offer}` : ''}`)
  }
}
