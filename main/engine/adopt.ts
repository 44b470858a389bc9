// Adopting a drive the user prepared by hand with the guide: no formatting. Import it, read its GUID and
// disk, check that the target is a raw-encrypted replica of the source (own encryption root, key not
// loaded, a common snapshot with the same guid), record it, export. Refuses with the reason otherwise.
import type { Config, DriveConfig } from '../config/schema'
import { byIdFor, readByIdLinks } from '../system/lsblk'
import type { Runner } from '../system/runner'
import { datasetExists, getDatasetProperties, listSnapshots } from '../system/zfs'
import { BY_ID_DIR, importByGuidArgv, listImportable, listPools, parseStatusJson, statusJsonArgv, type VdevStatus } from '../system/zpool'
import { EngineError } from './errors'
import { requireRoot } from './preflight'
import type { Emit } from '../../shared/events'
import { LifecycleError } from './lifecycle-errors'
import { exportStep, IMPORTED_BEFORE } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step } from './pipeline'
import { recordDrive, withDrive } from './setup'

export interface AdoptOptions {
  config: Config
  configPath?: string
  onRecorded?: (drive: DriveConfig, config: Config) => Promise<void>
  pool: string
  target: string
  name?: string
  source?: string
  runner: Runner
  emit: Emit
  signal: AbortSignal
  lockPath?: string
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

/** The whole-disk by-id link of a vdev path (…-part1 → …). */
export function diskOfVdev(path: string, links: { link: string; device: string }[] = []): string | null {
  const byId = path.startsWith(`${BY_ID_DIR}/`) ? path : byIdFor(path, links)[0]
  return byId ? byId.replace(/-part\d+$/, '') : null
}

function firstLeaf(vdevs: readonly VdevStatus[]): VdevStatus | null {
  for (const v of vdevs) {
    if (v.children.length === 0 && v.path) return v
    const c = firstLeaf(v.children)
    if (c) return c
  }
  return null
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
      const [st] = parseStatusJson((await ctx.runner.run(statusJsonArgv(s.o.pool))).stdout)
      const leaf = st ? firstLeaf(st.vdevs) : null
      s.disk = leaf?.path ? diskOfVdev(leaf.path, await readByIdLinks()) : null
      if (!s.disk) throw new EngineError('command-failed', `Could not find the /dev/disk/by-id link of ${s.o.pool}'s disk (${leaf?.path ?? 'no device'}).`)
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
    id: 'record',
    title: 'Record the drive in the config',
    async run(_ctx, s) {
      const { o } = s
      const name = o.name ?? o.pool
      const other = o.config.drives.find((d) => (d.name === name) !== (d.poolGuid === s.guid))
      if (other) throw new LifecycleError('drive-name-taken', other.name === name ? `A drive named "${name}" is already configured (pool GUID ${other.poolGuid}).` : `This pool is already configured as drive "${other.name}".`, 'Choose another --name, or remove that drive from the config.')
      const existing = o.config.drives.find((d) => d.poolGuid === s.guid)
      const drive: DriveConfig = { name, pool: o.pool, poolGuid: s.guid!, disk: s.disk!, targets: { ...(existing?.targets ?? {}), [s.source!]: o.target } }
      const config = o.configPath ? await recordDrive(o.configPath, drive) : withDrive(o.config, drive)
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
