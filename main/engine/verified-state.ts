// What the last verified run of each drive ended with, kept by the engine itself (root's, never the
// user's or the drive's: a value from either could make a run skip work it must do). Read by the next
// run to skip its listings when neither side's snapshot list changed since (see noop.ts).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { z } from 'zod'

export const VerifiedPair = z.object({
  source: z.string(),
  target: z.string(),
  /** snapshots_changed of each side as read after the run; null when it could not be trusted. */
  sourceChanged: z.number().int().nullable(),
  targetChanged: z.number().int().nullable(),
  /** The newest snapshot verified on the drive. */
  snapshot: z.string(),
  guid: z.string(),
  at: z.string(),
})
export type VerifiedPair = z.infer<typeof VerifiedPair>

const StateFile = z.object({
  version: z.literal(1),
  drives: z.record(z.string(), z.record(z.string(), VerifiedPair)),
  /** Notices each drive (by pool GUID) has been given, so each is given once. */
  told: z.record(z.string(), z.array(z.string())).optional(),
  /** Pool GUIDs left imported by a run whose drive was pulled (markPulled). */
  pulled: z.array(z.string()).optional(),
  /** Pools ZFS could not take back in a given boot (a kernel panic after the clear): markBroken. */
  broken: z.record(z.string(), z.object({ bootId: z.string(), what: z.string() })).optional(),
})
type StateFile = z.infer<typeof StateFile>

export function defaultVerifiedStatePath(env: NodeJS.ProcessEnv = process.env): string {
  if (process.geteuid?.() === 0) return '/var/lib/zfs-drive-backup/verified.json'
  const xdg = env.XDG_STATE_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local/state'), 'zfs-drive-backup', 'verified.json')
}

function read(path: string): StateFile {
  try {
    return StateFile.parse(JSON.parse(readFileSync(path, 'utf8')))
  } catch {
    // Missing or damaged: nothing is known, so nothing is skipped.
    return { version: 1, drives: {} }
  }
}

export function readVerified(path: string, poolGuid: string): Record<string, VerifiedPair> {
  return read(path).drives[poolGuid] ?? {}
}

/** Replaces what is known about these pairs of one drive (atomically: a crash leaves the old file). */
export function writeVerified(path: string, poolGuid: string, pairs: readonly VerifiedPair[]): void {
  const state = read(path)
  const drive = { ...(state.drives[poolGuid] ?? {}) }
  for (const p of pairs) drive[p.source] = p
  state.drives[poolGuid] = drive
  save(path, state)
}

/** Atomically: a crash leaves the old file. */
function save(path: string, state: StateFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 1) + '\n', { mode: 0o600 })
  renameSync(tmp, path)
}

/** Forgets a drive's pairs (a run that changed the drive without verifying it). */
export function forgetVerified(path: string, poolGuid: string, sources: readonly string[]): void {
  const state = read(path)
  const drive = state.drives[poolGuid]
  if (!drive || !sources.some((s) => s in drive)) return
  for (const s of sources) delete drive[s]
  save(path, state)
}

/** True the first time `notice` is asked for this drive (and records it); false ever after. */
export function tellOnce(path: string, poolGuid: string, notice: string): boolean {
  const state = read(path)
  const told = state.told?.[poolGuid] ?? []
  if (told.includes(notice)) return false
  state.told = { ...state.told, [poolGuid]: [...told, notice] }
  save(path, state)
  return true
}

/**
 * Drives whose pool a run had to leave imported because the cable was pulled: the next run takes that pool
 * back (zpool reopen, zpool clear) even when ZFS already reports it ONLINE again.
 */
export function markPulled(path: string, poolGuid: string, pulled: boolean): void {
  const state = read(path)
  const has = state.pulled?.includes(poolGuid) ?? false
  if (has === pulled) return
  state.pulled = pulled ? [...(state.pulled ?? []), poolGuid] : (state.pulled ?? []).filter((g) => g !== poolGuid)
  save(path, state)
}

export function wasPulled(path: string, poolGuid: string): boolean {
  return read(path).pulled?.includes(poolGuid) ?? false
}

/**
 * ZFS broke on this pool in this boot (its kernel log showed a panic after the clear): until a reboot,
 * no command may touch the pool again, for any of them could wait on it for good.
 */
export function markBroken(path: string, poolGuid: string, bootId: string, what: string): void {
  const state = read(path)
  state.broken = { ...state.broken, [poolGuid]: { bootId, what } }
  save(path, state)
}

/** What broke on this pool in the boot `bootId`, or null (nothing, or only in an earlier boot). */
export function brokenThisBoot(path: string, poolGuid: string, bootId: string): string | null {
  const b = read(path).broken?.[poolGuid]
  return b && b.bootId === bootId ? b.what : null
}
