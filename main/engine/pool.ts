// Getting a backup drive's pool in and out, shared by every pipeline (backup, scrub, restore, eject,
// verify-key, adopt). The pool is the drive's by GUID at every step: it is imported by GUID, its name is
// read back from the GUID (a drive imported elsewhere may carry another name, and another pool may be
// called "backup"), every target must lie in it, and export and power-off address only that pool and
// the disk it is on.
import { existsSync } from 'node:fs'
import type { DriveConfig } from '../config/schema'
import { devices } from '../system/devices'
import { byIdFor, readByIdLinks } from '../system/lsblk'
import { kernelLog, lastSeq, zfsPanic } from '../system/kmsg'
import { commandsOnPool, findHolders, stuckProcesses, waitForExit } from '../system/processes'
import { CommandError, StuckCommandError } from '../system/runner'
import { powerOffArgv } from '../system/udisksctl'
import { BY_ID_DIR, clearArgv, exportArgv, importByGuidArgv, listPools, parseBusyExport, parseStatusJson, reopenArgv, statusJsonAllArgv, statusJsonArgv, type PoolListEntry, type PoolStatus, type VdevStatus } from '../system/zpool'
import { poolNameRule } from '../system/names'
import { EngineError } from './errors'
import type { StepContext } from './pipeline'
import { brokenThisBoot, markBroken, markPulled, wasPulled } from './verified-state'

/**
 * The drive's pool as it is imported now. Pipelines address the pool as `pool.name` (resolved from the
 * GUID), never as the configured `drive.pool`.
 */
export interface DrivePool {
  name: string
  guid: string
  /** The whole disk the pool is on (by-id link), read from `zpool status`; null when zpool names none. */
  disk: string | null
  /** This run imported it (and so exports it when done); false when it was imported before. */
  importedByUs: boolean
  readonly: boolean
  altroot: string | null
  /** It was still imported from a run whose drive was pulled, and ZFS took the replugged drive back. */
  recovered: boolean
}

/** How long a command that waits on the drive may take before the run says the drive stopped answering. */
export const DRIVE_DEADLINE_MS = { import: 180_000, export: 180_000, recover: 60_000 } as const

/**
 * Taking a pulled drive back: how long the writes `zpool clear` retries are watched for a kernel panic
 * (they land or fail within moments), and how long the pulled run's woken receive may take to write out
 * what it had before the run gives up. An object so that engine tests on stand-in tools need not wait.
 */
export const RECOVERY = { settleMs: 3000, leftoversMaxMs: 600_000 }

export interface ImportOptions {
  /** `-o readonly=on`: nothing, not even the pool's own metadata, is written. */
  readonly?: boolean
  /** `-R DIR`: every mountpoint lands under DIR, whatever the drive's own properties say. */
  altroot?: string
  /**
   * Root's state file (verified-state.ts): whether a run left this pool imported when its drive was pulled
   * (take it back even if ZFS says ONLINE), and whether ZFS broke on it in this boot. Absent on a dry run.
   */
  statePath?: string
}

/**
 * Imports the drive's pool by GUID (unless it already is), then makes sure it is the drive's: refuses
 * when another pool carries the configured name, and when the configured targets are not in the pool
 * the GUID names. A pool this call imported and then refused is exported again before the refusal.
 * -N mounts nothing (the pool root is readonly, children could not get mountpoints under it anyway).
 */
export async function importDrivePool(ctx: StepContext, drive: DriveConfig, opts: ImportOptions = {}): Promise<DrivePool> {
  const before = await listPools(ctx.runner)
  refuseNameClash(drive, before)
  const already = before.find((p) => p.guid === drive.poolGuid)
  let found: { entry: Pick<PoolListEntry, 'name' | 'guid' | 'readonly' | 'altroot'>; condition: PoolCondition; importedByUs: boolean; recovered: boolean }
  if (already) {
    const { condition, recovered } = await takeBackIfPulled(ctx, drive, already, await poolCondition(ctx, already.name), opts.statePath ?? null)
    // The run that imported it could not export it: this one finishes that job.
    found = { entry: already, condition, importedByUs: recovered, recovered }
  } else found = { ...(await importFresh(ctx, drive, opts)), importedByUs: true, recovered: false }
  const { entry, condition, importedByUs, recovered } = found
  const pool: DrivePool = { name: entry.name, guid: entry.guid, disk: null, importedByUs, readonly: entry.readonly, altroot: entry.altroot, recovered }
  const outside = targetsOutside(drive, pool.name)
  if (outside.length) {
    if (importedByUs) await ctx.runner.run(exportArgv(pool.name), { allowFailure: true, timeoutMs: 300_000 })
    throw new EngineError(
      'pool-name-mismatch',
      `Drive "${drive.name}"'s pool (GUID ${drive.poolGuid}) is imported as ${pool.name}, but its targets are configured in ${drive.pool} (${outside.join(', ')}).`,
      importedByUs ? 'The pool was renamed on another machine; nothing was changed. Rename it back (zpool import <guid> ' + drive.pool + ') or adopt the drive again.' : `Nothing was changed. Export it (zpool export ${pool.name}) and run again: the drive's pool is imported under its own name.`,
    )
  }
  pool.disk = condition.disk
  ctx.emit({ type: 'pool-state', drive: drive.name, state: 'imported' })
  return pool
}

/** Imports the drive's pool by GUID and finds it again: the name it came in under, and its condition. */
async function importFresh(ctx: StepContext, drive: DriveConfig, opts: ImportOptions): Promise<{ entry: Pick<PoolListEntry, 'name' | 'guid' | 'readonly' | 'altroot'>; condition: PoolCondition }> {
  await runImport(ctx, drive, opts)
  const imported = { readonly: opts.readonly ?? false, altroot: opts.altroot ?? null }
  // It comes in under the name on its disk, almost always the configured one: that name's status, whose
  // GUID proves it is this drive's pool, spares listing every pool again.
  const seen = await statusIfOurs(ctx, drive.pool, drive.poolGuid)
  if (seen) return { entry: { ...seen.entry, ...imported }, condition: seen.condition }
  const entry = (await listPools(ctx.runner)).find((p) => p.guid === drive.poolGuid)
  if (!entry) throw new EngineError('command-failed', `zpool import ${drive.poolGuid} succeeded, but no imported pool has that GUID.`)
  return { entry, condition: await poolCondition(ctx, entry.name) }
}

/** What `zpool status` says of a pool's devices: the disk it is on, and each leaf's state. */
export interface PoolCondition {
  disk: string | null
  /** State of each leaf vdev (ONLINE, REMOVED, UNAVAIL, FAULTED…). */
  leaves: string[]
  /** The pool's own state per zpool status (SUSPENDED shows here). */
  state: string | null
}

export async function poolCondition(ctx: Pick<StepContext, 'runner'>, name: string): Promise<PoolCondition> {
  const r = await ctx.runner.run(statusJsonArgv(name), { deadlineMs: DRIVE_DEADLINE_MS.recover })
  return conditionOf(parseStatusJson(r.stdout)[0])
}

async function conditionOf(st: PoolStatus | undefined): Promise<PoolCondition> {
  const leaves = st ? leafVdevs(st.vdevs) : []
  const first = leaves[0]
  return { disk: first?.path ? diskOfVdev(first.path, await readByIdLinks()) : null, leaves: leaves.map((l) => l.state), state: st?.state ?? null }
}

/**
 * The pool imported as `name`, with its condition, from one `zpool status`, when its GUID is `guid`;
 * null when no pool has that name or another pool does (then list them all to find it by GUID).
 */
export async function statusIfOurs(ctx: Pick<StepContext, 'runner'>, name: string, guid: string): Promise<{ entry: Pick<PoolListEntry, 'name' | 'guid' | 'health'>; condition: PoolCondition } | null> {
  if (poolNameRule(name) !== undefined) return null
  const r = await ctx.runner.run(statusJsonArgv(name), { allowFailure: true, deadlineMs: DRIVE_DEADLINE_MS.recover })
  if (r.exitCode !== 0) return null
  const st = parseStatusJson(r.stdout).find((p) => p.guid === guid && p.name === name)
  return st ? { entry: { name: st.name, guid: st.guid, health: st.state }, condition: await conditionOf(st) } : null
}

export function isHealthy(health: string, c: PoolCondition): boolean {
  return health === 'ONLINE' && c.state !== 'SUSPENDED' && c.leaves.length > 0 && c.leaves.every((l) => l === 'ONLINE')
}

/**
 * A pool imported before this run: taken back if a pulled run left it (or ZFS says it is not well), else
 * as it is. `statePath` null (a dry run) neither reads nor records anything.
 */
export async function takeBackIfPulled(ctx: StepContext, drive: DriveConfig, entry: PoolListEntry, c: PoolCondition, statePath: string | null): Promise<{ condition: PoolCondition; recovered: boolean }> {
  const broken = statePath ? brokenThisBoot(statePath, drive.poolGuid, kernelLog.bootId()) : null
  // Not one more command on it: each could wait for good (an export would also hold up every zpool command).
  if (broken) throw await needsReboot(drive, entry.name, `earlier in this boot, ${broken}`)
  const leftByPull = statePath ? wasPulled(statePath, drive.poolGuid) : false
  if (!leftByPull && isHealthy(entry.health, c)) return { condition: c, recovered: false }
  const condition = await recoverPool(ctx, drive, entry, c, statePath)
  if (statePath) markPulled(statePath, drive.poolGuid, false)
  return { condition, recovered: true }
}

/**
 * A pool left imported when its drive was pulled (exporting it then would have frozen ZFS). With the
 * drive back: a SUSPENDED pool is resumed by `zpool clear`; one ZFS still marks REMOVED is reopened first.
 * Without the drive, or when ZFS does not take it back, the run stops with what is stuck, never waiting.
 */
async function recoverPool(ctx: StepContext, drive: DriveConfig, entry: PoolListEntry, c: PoolCondition, statePath: string | null): Promise<PoolCondition> {
  const state = c.state === 'SUSPENDED' ? 'SUSPENDED' : entry.health
  if (!devices.present(c.disk ?? drive.disk)) {
    throw new EngineError('drive-not-connected', `Drive "${drive.name}" is not connected: its pool ${entry.name} is still imported (${state}) from when it was pulled.`, 'Plug it back in: the next run takes the drive back (zpool clear) and continues the backup where it stopped.')
  }
  ctx.info(`${entry.name} is still imported (${state}) since its drive was disconnected; the drive is back, so ZFS is asked to use it again`)
  const seen = lastSeq(kernelLog.read())
  try {
    if (state !== 'SUSPENDED') await ctx.runner.run(reopenArgv(entry.name), { deadlineMs: DRIVE_DEADLINE_MS.recover, allowFailure: true })
    await ctx.runner.run(clearArgv(entry.name), { deadlineMs: DRIVE_DEADLINE_MS.recover, allowFailure: true })
    const after = await poolCondition(ctx, entry.name)
    const health = (await listPools(ctx.runner)).find((p) => p.guid === entry.guid)?.health ?? 'gone'
    if (!isHealthy(health, after)) throw await needsReboot(drive, entry.name, `it is still ${after.state === 'SUSPENDED' ? 'SUSPENDED' : health}`)
    const panic = await settled(ctx, drive, entry.name, seen)
    if (panic) {
      const what = `ZFS hit an internal error while it retried the writes the pulled cable had interrupted (${panic})`
      if (statePath) markBroken(statePath, drive.poolGuid, kernelLog.bootId(), what)
      throw await needsReboot(drive, entry.name, what)
    }
    ctx.info(`${entry.name} is ONLINE again`)
    return after
  } catch (err) {
    if (err instanceof StuckCommandError) throw await needsReboot(drive, entry.name, `${err.argv.join(' ')} did not return`)
    throw err
  }
}

/**
 * After the clear: the commands the pulled run left asleep in the kernel wake. A receive among them still
 * holds its target: it drains what it had (or, when the whole stream had reached it before the pull,
 * writes it out and completes the snapshot), then ends. Nothing is started on top of it, however long that
 * takes on a slow drive; after RECOVERY.leftoversMaxMs the run stops and says why. Meanwhile the kernel's log is
 * watched: a ZFS panic (returned) means the pool's writes never finish, so nothing may wait on them.
 */
async function settled(ctx: StepContext, drive: DriveConfig, pool: string, seenSeq: number): Promise<string | null> {
  const left = await commandsOnPool(pool).catch(() => [])
  if (left.length) ctx.info(`waiting for what the interrupted run left running on ${pool} to finish writing: ${left.map((p) => `${p.command} (pid ${p.pid})`).join(', ')}`)
  const started = Date.now()
  let alive = left.map((p) => p.pid)
  for (;;) {
    // A cancel leaves the pool marked as pulled (and not ours to export): the next run takes it back again.
    if (ctx.signal.aborted) throw new EngineError('cancelled', `Cancelled while taking back drive "${drive.name}".`)
    const panic = zfsPanic(kernelLog.read(), seenSeq)
    if (panic) return panic
    if (!alive.length && Date.now() - started >= RECOVERY.settleMs) return null
    if (Date.now() - started > RECOVERY.leftoversMaxMs) {
      throw new EngineError(
        'pool-busy',
        `Drive "${drive.name}" is still busy with what the interrupted run had sent to it: ${left.filter((p) => alive.includes(p.pid)).map((p) => `${p.command} (pid ${p.pid})`).join(', ')} has not ended after ${RECOVERY.leftoversMaxMs / 60_000} min.`,
        'Nothing was started on top of it. Leave the drive connected and back up again later: what it wrote is kept, and the next run continues from there.',
      )
    }
    if (alive.length) alive = await waitForExit(alive, 1000, ctx.signal)
    else await new Promise((r) => setTimeout(r, 500))
  }
}

async function needsReboot(drive: DriveConfig, pool: string, why: string): Promise<EngineError> {
  const stuck = await stuckProcesses().catch(() => [])
  const who = stuck.length ? ` Stuck in the kernel: ${stuck.map((p) => `${p.command} (pid ${p.pid})`).join(', ')}.` : ''
  return new EngineError(
    'drive-needs-reboot',
    `ZFS could not take drive "${drive.name}" back after it was reconnected: ${why} (pool ${pool}).${who}`,
    'Only a reboot frees it. Your laptop\'s own pools keep working until then; after the reboot, back up again and the transfer continues where it stopped.',
  )
}

function refuseNameClash(drive: DriveConfig, pools: readonly PoolListEntry[]): void {
  const clash = pools.find((p) => p.name === drive.pool && p.guid !== drive.poolGuid)
  if (!clash) return
  const mine = pools.find((p) => p.guid === drive.poolGuid)
  throw new EngineError(
    'pool-name-clash',
    `Another pool named ${drive.pool} (GUID ${clash.guid}) is imported${mine ? `, and drive "${drive.name}"'s pool is imported as ${mine.name}` : ''}: nothing is sent to, pruned on or exported from a pool that is not the drive's (GUID ${drive.poolGuid}).`,
    `Export that pool first (zpool export ${drive.pool})${mine ? `, and ${mine.name}` : ''}.`,
  )
}

/** Targets of the drive that are not datasets of the pool `name`. */
export function targetsOutside(drive: DriveConfig, name: string): string[] {
  return Object.values(drive.targets).filter((t) => !t.startsWith(`${name}/`))
}

async function runImport(ctx: StepContext, drive: DriveConfig, opts: ImportOptions): Promise<void> {
  // Every writable import, adopted and guide-made drives too: with failmode=wait (zpool's default) a
  // pulled cable suspends the pool and any later command on it hangs, export included. A read-only
  // import writes nothing, so it has nothing to fail on.
  const how = { readonly: opts.readonly ?? false, ...(opts.altroot ? { altroot: opts.altroot } : {}), ...(opts.readonly ? {} : { failmode: 'continue' as const }) }
  const argv = importByGuidArgv(drive.poolGuid, undefined, how)
  const run = { allowFailure: true, deadlineMs: DRIVE_DEADLINE_MS.import }
  // The drive's own disk and partitions first: scanning every disk's label is what a full import spends
  // its time on. Not found there (the pool moved to another enclosure), every disk is scanned.
  const own = devices.linksOf(drive.disk)
  let r = own.length ? await ctx.runner.run(importByGuidArgv(drive.poolGuid, own, how), run) : null
  if (!r || (r.exitCode !== 0 && notFound(r.stderr))) r = await ctx.runner.run(argv, run)
  if (r.exitCode !== 0 && existsSync(drive.disk) && notFound(r.stderr)) {
    // Just plugged in: the disk is there but udev may still be probing its partitions.
    await ctx.runner.run(['udevadm', 'settle', '--timeout=10'], { allowFailure: true })
    r = await ctx.runner.run(argv, run)
  }
  if (r.exitCode === 0) return
  if (notFound(r.stderr) || !existsSync(drive.disk)) {
    throw new EngineError('drive-not-connected', `Drive "${drive.name}" is not connected.`, `Plug it in; it appears as ${drive.disk}.`)
  }
  throw new CommandError(r.argv, r.exitCode, r.stderr)
}

const notFound = (stderr: string): boolean => /no such pool available/.test(stderr)

/** The drive's pool as imported now (by GUID), or null. */
export async function importedPool(ctx: StepContext, drive: DriveConfig): Promise<PoolListEntry | null> {
  return (await listPools(ctx.runner)).find((p) => p.guid === drive.poolGuid) ?? null
}

export async function isImported(ctx: StepContext, drive: DriveConfig): Promise<boolean> {
  return (await importedPool(ctx, drive)) !== null
}

// ---------------------------------------------------------------- the pool's disk

/** The whole-disk by-id link of a vdev path (…-part1 → …). */
export function diskOfVdev(path: string, links: { link: string; device: string }[] = []): string | null {
  const byId = path.startsWith(`${BY_ID_DIR}/`) ? path : byIdFor(path, links)[0]
  return byId ? byId.replace(/-part\d+$/, '') : null
}

export function leafVdevs(vdevs: readonly VdevStatus[]): VdevStatus[] {
  return vdevs.flatMap((v) => (v.children.length === 0 ? (v.path ? [v] : []) : leafVdevs(v.children)))
}

/** The disk the pool `name` is on, from `zpool status -jp` (first leaf vdev). */
export async function poolDisk(ctx: Pick<StepContext, 'runner'>, name: string): Promise<string | null> {
  return (await poolCondition(ctx, name)).disk
}

/**
 * The imported pools with a device on `disk` (whole-disk by-id link). The kernel's word first: a disk
 * nothing holds has no imported pool on it, so only a held one costs a `zpool status` of every pool.
 */
export async function poolsHolding(ctx: StepContext, disk: string): Promise<string[]> {
  return devices.unheld(disk) ? [] : poolsOnDisk(ctx, disk)
}

async function poolsOnDisk(ctx: StepContext, disk: string): Promise<string[]> {
  const r = await ctx.runner.run(statusJsonAllArgv(), { allowFailure: true })
  if (r.exitCode !== 0 || !r.stdout.trim()) return []
  const links = await readByIdLinks()
  return parseStatusJson(r.stdout)
    .filter((p) => leafVdevs(p.vdevs).some((v) => v.path && diskOfVdev(v.path, links) === disk))
    .map((p) => p.name)
}

// ---------------------------------------------------------------- export and power off

/**
 * Exports the drive's pool, found by GUID, without -f; false when it is not imported. A busy pool is
 * explained by the processes holding it. A just-cancelled transfer can hold the pool for a moment while
 * its zfs processes exit, hence a short retry. `seen`: the pool as this run already found it, or the name
 * this run imported it under (its status proves the GUID again, one command instead of listing every pool).
 */
export async function exportDrivePool(ctx: StepContext, drive: DriveConfig, seen?: { entry: Pick<PoolListEntry, 'name'>; condition: PoolCondition } | { name: string }, retries = 3): Promise<boolean> {
  const listed = async () => {
    const entry = await importedPool(ctx, drive)
    return entry ? { entry, condition: await poolCondition(ctx, entry.name) } : null
  }
  const found = !seen ? await listed() : 'name' in seen ? ((await statusIfOurs(ctx, seen.name, drive.poolGuid)) ?? (await listed())) : seen
  if (!found) return false
  const { entry } = found
  refuseExportWithoutDisk(drive, entry.name, found.condition)
  for (let attempt = 0; ; attempt++) {
    const r = await ctx.runner.run(exportArgv(entry.name), { allowFailure: true, deadlineMs: DRIVE_DEADLINE_MS.export })
    if (r.exitCode === 0) {
      ctx.emit({ type: 'pool-state', drive: drive.name, state: 'exported' })
      return true
    }
    const busy = parseBusyExport(r.stderr) ?? (/busy/.test(r.stderr) ? { mountpoint: '' } : null)
    if (!busy) throw new CommandError(r.argv, r.exitCode, r.stderr)
    if (attempt < retries) {
      await new Promise((res) => setTimeout(res, 1000))
      continue
    }
    const holders = busy.mountpoint ? await findHolders(busy.mountpoint) : []
    const who = holders.map((h) => `${h.command} (${h.pid}) at ${h.path}`).join(', ')
    throw new EngineError(
      'pool-busy',
      `Pool ${entry.name} is busy${busy.mountpoint ? ` (${busy.mountpoint})` : ''}${who ? `: held by ${who}` : ''}.`,
      'Close those programs or terminals, or leave the folder, then eject again.',
      holders.map(({ pid, command, path }) => ({ pid, command, path })),
    )
  }
}

/**
 * An export of a pool whose disk is gone waits for the disk while holding ZFS's namespace lock: every
 * zfs and zpool command on the machine then hangs, the laptop's own pools included, until a reboot.
 */
function refuseExportWithoutDisk(drive: DriveConfig, pool: string, c: PoolCondition): void {
  const present = devices.present(c.disk ?? drive.disk)
  if (present && c.state !== 'SUSPENDED') return
  throw new EngineError(
    'drive-disconnected',
    `Pool ${pool} was not exported: ${present ? 'it is SUSPENDED (its drive stopped answering)' : 'its drive is disconnected'}. Exporting it now would freeze every zfs command on this machine.`,
    'Plug the drive back in: the next backup or eject takes it back (zpool clear) and exports it. Until then the pool stays imported and idle.',
  )
}

/**
 * Powers off the disk the drive's pool was on (`disk`, read before the export; the configured disk when
 * the pool was not imported), then waits for its by-id link to go: only then is it safe to unplug. A
 * disk that an imported pool still uses is never powered off.
 */
export async function powerOffDrive(ctx: StepContext, drive: DriveConfig, disk: string | null = null, timeoutMs = 15_000): Promise<void> {
  const target = disk ?? drive.disk
  const off = (): void => ctx.emit({ type: 'pool-state', drive: drive.name, state: 'powered-off' })
  if (disk && disk !== drive.disk) ctx.info(`the pool is on ${disk} (the config says ${drive.disk}); powering off the pool's disk`)
  if (!existsSync(target)) return off()
  const users = await poolsHolding(ctx, target)
  if (users.length) {
    throw new EngineError('power-off-failed', `${target} was not powered off: pool ${users.join(', ')} is imported from it.`, `Export ${users.join(', ')} first; drive "${drive.name}" is exported.`)
  }
  const r = await ctx.runner.run(powerOffArgv(target), { allowFailure: true, timeoutMs: 60_000 })
  // Unplugged while udisks powered it off: the pool was exported first, so that is as good.
  if (r.exitCode !== 0 && !existsSync(target)) return off()
  if (r.exitCode !== 0) {
    throw new EngineError('power-off-failed', `udisksctl could not power off ${target}: ${r.stderr.trim()}`, 'The pool is exported, so unplugging is safe once the drive\'s light is off.')
  }
  const started = Date.now()
  while (existsSync(target)) {
    if (Date.now() - started > timeoutMs) {
      throw new EngineError('power-off-failed', `${target} is still present ${timeoutMs / 1000} s after power-off.`, 'The pool is exported; unplugging is safe.')
    }
    await new Promise((res) => setTimeout(res, 100))
  }
  off()
}
