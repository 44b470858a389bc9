// Adopting a drive the user prepared by hand with the guide: no formatting. Import it, read its GUID and
// disk, check that the target is a raw-encrypted replica of the source (own encryption root, key not
// loaded, a common snapshot with the same guid), record it, export. Refuses with the reason otherwise.
import type { Config, DriveConfig } from '../config/schema'
import type { Runner } from '../system/runner'
import { datasetExists, getDatasetProperties, listSnapshots } from '../system/zfs'
import { importByGuidArgv, listImportable, listPools, parsePoolGet, poolGetArgv, poolSetArgv } from '../system/zpool'
import { EngineError } from './errors'
import { requireRoot } from './preflight'
import type { Emit } from '../../shared/events'
import { LifecycleError } from './lifecycle-errors'
import { exportStep, IMPORTED_BEFORE } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step } from './pipeline'
import { poolDisk } from './pool'
import { recordDrive, withDrive, type ConfigOwner } from './setup'

export { diskOfVdev } from './pool'

export interface AdoptOptions {
  config: Config
  configPath?: string
  configOwner?: ConfigOwner | null
  onRecorded?: (drive: DriveConfig, config: Config) => Promise<void>
  pool: string
  target: string
  name?: string
  source?: string
  runner: Runner
  emit: Emit
  signal: AbortSignal
  lockPath?: string
  /** Set failmode=continue (as setup does): with `wait`, a pulled cable hangs every later zfs command. */
  failmodeContinue?: boolean
}

interface AdoptState {
  o: AdoptOptions
  lock: Lock | null
  guid: string | null
  importedByUs: boolean
  disk: string | null
  source: string | null
  drive: DriveConfig | null
}

/** Why `target` is not a raw-encrypted replica of `source`, or undefined (pure: for unit tests). */
export function replicaProblem(
  target: { name: string; encryption: string; keystatus: string | null; encryptionroot: string | null },
  sourceEncryption: string,
  common: number,
  source: string,
): { code: 'target-unencrypted' | 'target-not-replica' | 'no-common-snapshot'; message: string } | undefined {
  if (target.encryption === 'off') return { code: 'target-unencrypted', message: `${target.name} is not encrypted: it was not sent raw (syncoid --sendoptions=w), so the drive holds a readable copy.` }
  if (target.encryptionroot !== target.name) return { code: 'target-not-replica', message: `${target.name} is encrypted by ${target.encryptionroot ?? '?'}, not by itself: it was received into an encrypted parent instead of sent raw.` }
  if (target.keystatus === 'available') return { code: 'target-not-replica', message: `The key of ${target.name} is loaded; a backup drive must not carry it.` }
  if (target.encryption !== sourceEncryption) return { code: 'target-not-replica', message: `${target.name} uses ${target.encryption} but ${source} uses ${sourceEncryption}: it is not a raw copy of it.` }
  if (common === 0) return { code: 'no-common-snapshot', message: `${target.name} has no snapshot in common with ${source} (same name and guid): it is a copy of another dataset, or every snapshot it shares was pruned on the laptop.` }
  return undefined
}

const steps: Step<AdoptState>[] = [
  {
    id: 'import',
    title: 'Find and import the pool',
    async run(ctx, s) {
      s.lock = acquireLock(s.o.lockPath, `adopting ${s.o.pool}`)
      requireRoot('Adopting a drive imports its pool')
      const imported = (await listPools(ctx.runner)).find((p) => p.name === s.o.pool)
      if (imported) {
        s.guid = imported.guid
      } else {
        const found = (await listImportable(ctx.runner)).filter((p) => p.name === s.o.pool)
        if (found.length === 0) throw new LifecycleError('pool-not-found', `No pool named ${s.o.pool} is connected.`, 'Plug the drive in; `zpool import -d /dev/disk/by-id` lists the pools it sees.')
        if (found.length > 1) throw new EngineError('pool-name-clash', `Several connected pools are named ${s.o.pool} (GUIDs ${found.map((p) => p.id).join(', ')}).`, 'Unplug all but the drive to adopt.')
        s.guid = found[0]!.id
        await ctx.runner.run(importByGuidArgv(s.guid), { timeoutMs: 300_000 })
        s.importedByUs = true
      }
      // From here on the pool is the one with this GUID: re-read its name from it.
      const now = (await listPools(ctx.runner)).find((p) => p.guid === s.guid)
      if (!now || now.name !== s.o.pool) throw new EngineError('pool-name-mismatch', `The pool with GUID ${s.guid} is imported as ${now?.name ?? '(nothing)'}, not ${s.o.pool}.`, 'Nothing was recorded; run adopt again with its name.')
      s.disk = await poolDisk(ctx, s.o.pool)
      if (!s.disk) throw new EngineError('command-failed', `Could not find the /dev/disk/by-id link of ${s.o.pool}'s disk.`)
      return { note: `${s.o.pool}: GUID ${s.guid} on ${s.disk}` }
    },
  },
  {
    id: 'check',
    title: 'Check the target is an encrypted copy of the source',
    async run(ctx, s) {
      const { o } = s
      if (!o.target.startsWith(`${o.pool}/`)) throw new EngineError('config-invalid', `${o.target} is not inside pool ${o.pool}.`)
      if (!(await datasetExists(ctx.runner, o.target))) throw new LifecycleError('target-not-replica', `${o.target} does not exist on the drive.`)
      const tp = await getDatasetProperties(ctx.runner, o.target)
      const targetSnaps = await listSnapshots(ctx.runner, o.target)
      const guids = new Set(targetSnaps.map((x) => x.guid))
      const candidates = o.source ? [o.source] : o.config.sources.map((x) => x.dataset)
      if (candidates.length === 0) throw new EngineError('source-missing', 'No source dataset is configured.', 'Name the laptop dataset this drive backs up with --source.')
      // Without --source: the configured source the target shares snapshots with.
      let source = candidates[0]!
      let common = 0
      for (const c of candidates) {
        if (!(await datasetExists(ctx.runner, c))) {
          if (o.source) throw new EngineError('source-missing', `The source dataset ${c} does not exist.`)
          continue
        }
        const n = (await listSnapshots(ctx.runner, c)).filter((x) => guids.has(x.guid)).length
        if (n > common) {
          source = c
          common = n
        }
      }
      if (!(await datasetExists(ctx.runner, source))) throw new EngineError('source-missing', `The source dataset ${source} does not exist.`)
      const sp = await getDatasetProperties(ctx.runner, source)
      const problem = replicaProblem({ name: o.target, encryption: tp.encryption, keystatus: tp.keystatus, encryptionroot: tp.encryptionroot }, sp.encryption, common, source)
      if (problem) throw problem.code === 'target-unencrypted' ? new EngineError('target-unencrypted', problem.message, 'Set the drive up again (zfs-drive-backup setup), which sends raw.') : new LifecycleError(problem.code === 'no-common-snapshot' ? 'target-not-replica' : problem.code, problem.message)
      if (!tp.readonly) ctx.warn('target-writable', `${o.target} has readonly=off: a mount can change it, and the next backup would then fail (guide 5.1: zfs set readonly=on ${o.target}).`)
      s.source = source
      return { note: `${o.target}: ${tp.encryption}, key not loaded, ${common} snapshot(s) in common with ${source}` }
    },
  },
  {
    id: 'failmode',
    title: 'Let a pulled cable fail instead of hang (failmode)',
    async run(ctx, s) {
      const got = parsePoolGet((await ctx.runner.run(poolGetArgv(s.o.pool, ['failmode']))).stdout).get(s.o.pool)?.failmode?.value
      if (got !== 'wait') return { skipped: `failmode=${got ?? '?'}` }
      if (!s.o.failmodeContinue) {
        ctx.warn('failmode-wait', `${s.o.pool} has failmode=wait: if the drive is unplugged mid-write, every later zfs command hangs until it is back. Adopt with --failmode-continue (or run zpool set failmode=continue ${s.o.pool}) as setup does.`)
        return { skipped: 'failmode=wait kept (not asked to change it)' }
      }
      await ctx.runner.run(poolSetArgv(s.o.pool, 'failmode', 'continue'))
      return { note: 'failmode=continue' }
    },
  },
  {
    id: 'record',
    title: 'Record the drive in the config',
    async run(_ctx, s) {
      const { o } = s
      const name = o.name ?? o.pool
      const other = o.config.drives.find((d) => (d.name === name) !== (d.poolGuid === s.guid))
      if (other) throw new LifecycleError('drive-name-taken', other.name === name ? `A drive named "${name}" is already configured (pool GUID ${other.poolGuid}).` : `This pool is already configured as drive "${other.name}".`, 'Choose another --name, or remove that drive from the config.')
      const existing = o.config.drives.find((d) => d.poolGuid === s.guid)
      const drive: DriveConfig = { name, pool: o.pool, poolGuid: s.guid!, disk: s.disk!, targets: { ...(existing?.targets ?? {}), [s.source!]: o.target } }
      const config = o.configPath ? await recordDrive(o.configPath, drive, null, o.configOwner ?? null) : withDrive(o.config, drive)
      await o.onRecorded?.(drive, config)
      s.drive = drive
      return { note: `drive "${name}": ${s.source} → ${o.target}` }
    },
  },
  exportStep<AdoptState>({
    skip: (s) => (s.importedByUs && s.guid ? null : IMPORTED_BEFORE),
    drive: (s) => ({ name: s.o.name ?? s.o.pool, pool: s.o.pool, poolGuid: s.guid!, disk: s.disk ?? '', targets: {} }),
  }),
]

export async function adopt(o: AdoptOptions): Promise<Outcome> {
  const state: AdoptState = { o, lock: null, guid: null, importedByUs: false, disk: null, source: null, drive: null }
  try {
    return await runPipeline({ verb: 'adopt', drive: o.name ?? o.pool, steps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}
