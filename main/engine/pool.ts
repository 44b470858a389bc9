// Getting a backup drive's pool in and out, shared by every pipeline (backup, scrub, restore, eject).
import { existsSync } from 'node:fs'
import type { DriveConfig } from '../config/schema'
import { findHolders } from '../system/processes'
import { CommandError } from '../system/runner'
import { powerOffArgv } from '../system/udisksctl'
import { exportArgv, importByGuidArgv, listPools, parseBusyExport } from '../system/zpool'
import { EngineError } from './errors'
import type { StepContext } from './pipeline'

export type ImportResult = 'imported' | 'already-imported'

/**
 * Imports the drive's pool by GUID, never by name: another machine's pool may also be called "backup".
 * -N mounts nothing (the pool root is readonly, children could not get mountpoints under it anyway).
 */
export async function importDrivePool(ctx: StepContext, drive: DriveConfig, opts: { readonly?: boolean } = {}): Promise<ImportResult> {
  const pools = await listPools(ctx.runner)
  if (pools.some((p) => p.guid === drive.poolGuid)) return imported(ctx, drive, 'already-imported')
  const clash = pools.find((p) => p.name === drive.pool)
  if (clash) {
    throw new EngineError('pool-name-clash', `Another pool named ${drive.pool} (GUID ${clash.guid}) is imported, so drive "${drive.name}" cannot be imported under its name.`, `Export that pool first (zpool export ${drive.pool}).`)
  }
  let r = await ctx.runner.run(importByGuidArgv(drive.poolGuid, undefined, opts), { allowFailure: true, timeoutMs: 300_000 })
  if (r.exitCode !== 0 && existsSync(drive.disk) && notFound(r.stderr)) {
    // Just plugged in: the disk is there but udev may still be probing its partitions.
    await ctx.runner.run(['udevadm', 'settle', '--timeout=10'], { allowFailure: true })
    r = await ctx.runner.run(importByGuidArgv(drive.poolGuid, undefined, opts), { allowFailure: true, timeoutMs: 300_000 })
  }
  if (r.exitCode === 0) return imported(ctx, drive, 'imported')
  if (notFound(r.stderr) || !existsSync(drive.disk)) {
    throw new EngineError('drive-not-connected', `Drive "${drive.name}" is not connected.`, `Plug it in; it appears as ${drive.disk}.`)
  }
  throw new CommandError(r.argv, r.exitCode, r.stderr)
}

function imported(ctx: StepContext, drive: DriveConfig, r: ImportResult): ImportResult {
  ctx.emit({ type: 'pool-state', drive: drive.name, state: 'imported' })
  return r
}

const notFound = (stderr: string): boolean => /no such pool available/.test(stderr)

export async function isImported(ctx: StepContext, drive: DriveConfig): Promise<boolean> {
  return (await listPools(ctx.runner)).some((p) => p.guid === drive.poolGuid)
}

/**
 * Exports without -f. A busy pool is explained by the processes holding it. A just-cancelled transfer
 * can hold the pool for a moment while its zfs processes exit, hence a short retry.
 */
export async function exportDrivePool(ctx: StepContext, drive: DriveConfig, retries = 3): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await ctx.runner.run(exportArgv(drive.pool), { allowFailure: true, timeoutMs: 300_000 })
    if (r.exitCode === 0) return ctx.emit({ type: 'pool-state', drive: drive.name, state: 'exported' })
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
      `Pool ${drive.pool} is busy${busy.mountpoint ? ` (${busy.mountpoint})` : ''}${who ? `: held by ${who}` : ''}.`,
      'Close those programs or terminals, or leave the folder, then eject again.',
      holders.map(({ pid, command, path }) => ({ pid, command, path })),
    )
  }
}

/** Powers the whole disk off, then waits for its by-id link to go: only then is it safe to unplug. */
export async function powerOffDrive(ctx: StepContext, drive: DriveConfig, timeoutMs = 15_000): Promise<void> {
  const off = (): void => ctx.emit({ type: 'pool-state', drive: drive.name, state: 'powered-off' })
  if (!existsSync(drive.disk)) return off()
  const r = await ctx.runner.run(powerOffArgv(drive.disk), { allowFailure: true, timeoutMs: 60_000 })
  if (r.exitCode !== 0) {
    throw new EngineError('power-off-failed', `udisksctl could not power off ${drive.disk}: ${r.stderr.trim()}`, 'The pool is exported, so unplugging is safe once the drive\'s light is off.')
  }
  const started = Date.now()
  while (existsSync(drive.disk)) {
    if (Date.now() - started > timeoutMs) {
      throw new EngineError('power-off-failed', `${drive.disk} is still present ${timeoutMs / 1000} s after power-off.`, 'The pool is exported; unplugging is safe.')
    }
    await new Promise((res) => setTimeout(res, 100))
  }
  off()
}
