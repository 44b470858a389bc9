// First-time setup of a backup drive: the guide's sections 3 to 6 as one run. Refuses unless the user
// typed the disk's by-id name, and refuses every disk that holds the system, a mounted filesystem, swap
// or an imported pool. An interrupted setup (the pool exists and its GUID is in the config) continues
// where it stopped; erasing a disk whose pool is configured needs --reformat on top of the confirmation.
//
// The first replication runs the backup engine's own steps (import, plan, replicate, prune, verify) inside
// this run rather than calling backup(): backup() takes the run lock, which setup already holds, and
// would start a second run (its own run-started/run-finished) inside this one's event stream. The
// commands, progress and `replicated` events are the same; they land in the setup's history record.
// Setup exports the pool but does not power the drive off unless asked (--power-off): right after a
// setup the user usually wants to look at it, and `eject` powers it off.
import { existsSync } from 'node:fs'
import { loadConfig, saveConfig } from '../config/load'
import { loadOwnedConfig } from '../config/owned'
import { configSchema, type Config, type DriveConfig } from '../config/schema'
import {
  blkdiscardArgv, defaultPoolMountpoint, guidePoolOptions, labelclearArgv, partedArgv, partitionPath, partprobeArgv, targetProperties, udevSettleArgv, wipefsArgv, zpoolCreateArgv,
} from '../system/disk-prep'
import { byIdFor, flattenDevices, type BlockDevice } from '../system/lsblk'
import { CommandError, type Runner } from '../system/runner'
import { syncoidVersion } from '../system/syncoid'
import { datasetExists, getDatasetProperties, getPropertiesArgv, parsePropertyRows, setArgv } from '../system/zfs'
import { listPools, parsePoolGet, poolGetArgv } from '../system/zpool'
import { backupSteps, newBackupState, type BackupState } from './backup'
import { confirmationMatches, confirmationWord, poolsOnDisk, readDiskFacts, resolveDisk, whyIneligible, type DiskFacts } from './disks'
import { EngineError } from './errors'
import { requireRoot } from './preflight'
import type { Emit } from '../../shared/events'
import { LifecycleError } from './lifecycle-errors'
import { exportStep } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step, type StepContext } from './pipeline'
import { powerOffDrive } from './pool'
import { missingTools } from './tools'

export interface SetupOptions {
  config: Config
  /** Where to record the new drive (the CLI). Without it nothing is written; onRecorded hears of it
   * instead (the privileged helper must not write the user's config as root: the app saves it). */
  configPath?: string
  /** Whose config file configPath is, when root writes it for them. */
  configOwner?: ConfigOwner | null
  onRecorded?: (drive: DriveConfig, config: Config) => Promise<void>
  disk: string
  name: string
  confirm: string | undefined
  /** Pool name (default "backup", as the guide). */
  pool?: string
  /** Sources to back up to this drive (default: every configured source). Added to the config if new. */
  sources?: string[]
  /** Erase the disk even though its pool belongs to a configured drive. */
  reformat?: boolean
  powerOff?: boolean
  runner: Runner
  emit: Emit
  signal: AbortSignal
  lockPath?: string
}

interface SetupState {
  o: SetupOptions
  lock: Lock | null
  mode: 'fresh' | 'resume'
  facts: DiskFacts | null
  disk: BlockDevice | null
  sources: string[]
  /** A configured drive whose pool is on the disk and gets erased (--reformat). */
  replaces: string | null
  guid: string | null
  drive: DriveConfig | null
  backup: BackupState | null
}

/** backup/eds for rpool/nixos/eds: the target is the source's last component inside the pool. */
export function targetFor(pool: string, source: string): string {
  return `${pool}/${source.slice(source.lastIndexOf('/') + 1)}`
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

const preflight: Step<SetupState> = {
  id: 'preflight',
  title: 'Check the disk, the confirmation and the sources',
  async run(ctx, s) {
    const { o } = s
    s.lock = acquireLock(o.lockPath, `setup of ${o.name}`)
    requireRoot('Setting up a drive partitions a disk and creates a pool')
    const syncoid = o.config.replication.engine === 'syncoid'
    const missing = missingTools(['zpool', 'zfs', ...(syncoid ? ['syncoid'] : []), 'parted', 'partprobe', 'wipefs', 'udevadm'])
    if (missing.length) throw new EngineError('tool-missing', `Not installed: ${missing.join(', ')}.`, `Install OpenZFS, ${syncoid ? 'sanoid (for syncoid), ' : ''}parted and util-linux.`)
    const facts = await readDiskFacts(ctx.runner, o.config.drives)
    s.facts = facts
    const disk = await resolveDisk(o.disk, facts)
    s.disk = disk
    if (!confirmationMatches(o.disk, o.confirm)) {
      throw new LifecycleError('confirmation-mismatch', `Setup erases everything on ${o.disk}; the confirmation ${o.confirm === undefined ? 'is missing' : `"${o.confirm}" does not match`}.`, `Type the disk's name exactly: --confirm ${confirmationWord(o.disk)}`)
    }
    const onDisk = poolsOnDisk(disk, facts)
    const configured = onDisk.find((p) => p.configuredAs !== null)
    if (configured && !o.reformat) {
      if (configured.configuredAs !== o.name) {
        throw new LifecycleError('disk-holds-configured-pool', `${o.disk} holds pool ${configured.name ?? '?'} of the configured drive "${configured.configuredAs}".`, `To erase it and set it up again as "${o.name}", add --reformat (its backups are lost).`)
      }
      s.mode = 'resume'
      s.guid = configured.guid
      s.drive = o.config.drives.find((d) => d.poolGuid === configured.guid) ?? null
    }
    if (configured && o.reformat) s.replaces = configured.configuredAs
    // On resume our own pool may be imported (setup stopped with it imported): that is not a refusal.
    const why = whyIneligible(disk, s.mode === 'resume' ? { ...facts, pools: facts.pools.filter((p) => p.guid !== s.guid) } : facts)
    if (why) throw new LifecycleError('disk-ineligible', `${o.disk} cannot be used: it ${why}.`, 'Pick another disk (zfs-drive-backup disks lists them, with the reason for each).')
    const other = o.config.drives.find((d) => d.name === o.name && d.poolGuid !== s.guid && d.name !== s.replaces)
    if (other) throw new LifecycleError('drive-name-taken', `A drive named "${o.name}" is already configured (pool GUID ${other.poolGuid}).`, 'Choose another --name.')
    if (s.mode === 'fresh') {
      const pool = o.pool ?? 'backup'
      const clash = facts.pools.find((p) => p.name === pool)
      if (clash) throw new EngineError('pool-name-clash', `A pool named ${pool} (GUID ${clash.guid}) is imported, so a new one of that name cannot be created.`, `Export it first (zpool export ${pool}) or choose another --pool.`)
    }
    if (syncoid) {
      const check = await syncoidVersion(ctx.runner)
      if (!check.ok) throw new EngineError('syncoid-too-old', check.problem ?? `syncoid ${check.version ?? '(unknown version)'} is too old.`, 'Install sanoid/syncoid 2.2.0 or newer.')
    }
    s.sources = s.drive ? Object.keys(s.drive.targets) : o.sources?.length ? o.sources : o.config.sources.map((x) => x.dataset)
    if (s.sources.length === 0) throw new EngineError('source-missing', 'No source dataset to back up is configured.', 'Name one with --source (e.g. --source rpool/nixos/home).')
    for (const source of s.sources) {
      if (!(await datasetExists(ctx.runner, source))) throw new EngineError('source-missing', `The source dataset ${source} does not exist.`)
      const props = await getDatasetProperties(ctx.runner, source)
      const allowed = o.config.sources.find((x) => x.dataset === source)?.allowUnencrypted ?? false
      if (!props.encrypted && !allowed) throw new EngineError('source-unencrypted', `${source} is not encrypted, so its copy on the drive would be readable by anyone who finds the drive.`, 'Back up an encrypted dataset.')
    }
    const targets = s.sources.map((x) => targetFor(o.pool ?? 'backup', x))
    if (new Set(targets).size !== targets.length) throw new EngineError('config-invalid', `Two sources would share a target (${targets.join(', ')}).`)
    const what = onDisk.length ? `; it holds pool${onDisk.length > 1 ? 's' : ''} ${onDisk.map((p) => `${p.name ?? '?'} (${p.guid ?? '?'})`).join(', ')}` : ''
    return { note: s.mode === 'resume' ? `continuing the interrupted setup of "${o.name}" (pool GUID ${s.guid})` : `${o.disk}: ${disk.model ?? 'disk'}, ${disk.size} bytes${what}` }
  },
}

function partitionLinks(s: SetupState): { part: BlockDevice; link: string | null }[] {
  const parts = flattenDevices(s.disk!.children)
  return parts.map((part) => ({ part, link: byIdFor(part.path, s.facts!.links).find((l) => l.startsWith(`${s.o.disk}-part`)) ?? null }))
}

const wipe: Step<SetupState> = {
  id: 'wipe',
  title: 'Erase the disk',
  async run(ctx, s) {
    if (s.mode === 'resume') return { skipped: 'the pool already exists' }
    const discard = await ctx.runner.run(blkdiscardArgv(s.o.disk), { allowFailure: true, timeoutMs: 1_800_000 })
    // Most USB bridges cannot discard ("Operation not supported"): wipefs and labelclear below still erase what matters.
    if (discard.exitCode !== 0) ctx.info(`blkdiscard not supported here (${discard.stderr.trim().split('\n').at(-1) ?? ''}); clearing signatures instead`)
    for (const { part, link } of partitionLinks(s)) {
      if (!link) continue
      if (part.fstype === 'zfs_member') {
        const r = await ctx.runner.run(labelclearArgv(link), { allowFailure: true })
        if (r.exitCode !== 0) ctx.warn('labelclear-failed', `zpool labelclear ${link}: ${r.stderr.trim()}`)
      }
      await ctx.runner.run(wipefsArgv(link))
    }
    await ctx.runner.run(wipefsArgv(s.o.disk))
    await ctx.runner.run(udevSettleArgv(), { allowFailure: true })
    return { note: discard.exitCode === 0 ? 'discarded and signatures cleared' : 'signatures cleared (no discard)' }
  },
}

const partition: Step<SetupState> = {
  id: 'partition',
  title: 'Partition (GPT, one partition)',
  async run(ctx, s) {
    if (s.mode === 'resume') return { skipped: 'the pool already exists' }
    await ctx.runner.run(partedArgv(s.o.disk, s.o.pool ?? 'backup'))
    const probe = await ctx.runner.run(partprobeArgv(s.o.disk), { allowFailure: true })
    if (probe.exitCode !== 0) ctx.warn('partprobe-failed', `partprobe: ${probe.stderr.trim()}`)
    await ctx.runner.run(udevSettleArgv(), { allowFailure: true })
    const part = partitionPath(s.o.disk)
    for (let i = 0; !existsSync(part); i++) {
      if (i > 150) throw new EngineError('command-failed', `${part} did not appear after partitioning.`, 'Unplug and replug the drive, then run setup again.')
      await pause(100)
    }
    // A former filesystem whose signature happens to sit where the new partition starts.
    await ctx.runner.run(wipefsArgv(part))
    return { note: part }
  },
}

const create: Step<SetupState> = {
  id: 'create',
  title: 'Create the pool',
  async run(ctx, s) {
    if (s.mode === 'resume') return { skipped: 'the pool already exists' }
    const pool = s.o.pool ?? 'backup'
    const argv = zpoolCreateArgv(pool, partitionPath(s.o.disk), defaultPoolMountpoint(pool))
    const r = await ctx.runner.run(argv, { allowFailure: true, timeoutMs: 300_000 })
    const created = (await listPools(ctx.runner)).find((p) => p.name === pool && !s.facts!.pools.some((q) => q.guid === p.guid))
    if (r.exitCode !== 0) {
      // The pool can exist even though mounting its root failed (e.g. a non-empty mountpoint directory).
      if (!created) throw new CommandError(argv, r.exitCode, r.stderr)
      ctx.warn('pool-root-not-mounted', `zpool create: ${r.stderr.trim()}`)
    }
    if (!created) throw new EngineError('command-failed', `zpool create succeeded but ${pool} is not in zpool list.`)
    s.guid = created.guid
    return { note: `${pool}, GUID ${created.guid}` }
  },
}

/** The config with this drive added (or replaced), its sources added when new. */
export function withDrive(config: Config, drive: DriveConfig, drop: string | null = null): Config {
  const keep = config.drives.filter((d) => d.poolGuid !== drive.poolGuid && d.name !== drive.name && d.name !== drop)
  const sources = [...config.sources]
  for (const x of Object.keys(drive.targets)) if (!sources.some((y) => y.dataset === x)) sources.push({ dataset: x, allowUnencrypted: false, snapshotBeforeBackup: false })
  return configSchema.parse({ ...config, sources, drives: [...keep, drive] })
}

/** Saves a drive into the config file as it is now on disk (another process may have changed it). */
/** Root writing a user's config file. */
export interface ConfigOwner {
  uid: number
  gid: number
}

/** Adds the drive to the config file; `owner`: root writing a user's file (it is read with the owner checks and stays theirs). */
export async function recordDrive(configPath: string, drive: DriveConfig, drop: string | null = null, owner: ConfigOwner | null = null): Promise<Config> {
  const current = (owner ? await loadOwnedConfig(configPath, owner.uid) : await loadConfig(configPath)).config
  return saveConfig(withDrive(current, drive, drop), configPath, owner)
}

const record: Step<SetupState> = {
  id: 'record',
  title: 'Record the drive in the config',
  async run(_ctx, s) {
    const { o } = s
    const pool = o.pool ?? 'backup'
    const drive: DriveConfig = s.mode === 'resume' && s.drive
      ? s.drive
      : { name: o.name, pool, poolGuid: s.guid!, disk: o.disk, targets: Object.fromEntries(s.sources.map((x) => [x, targetFor(pool, x)])) }
    const config = o.configPath ? await recordDrive(o.configPath, drive, s.replaces, o.configOwner ?? null) : withDrive(o.config, drive, s.replaces)
    await o.onRecorded?.(drive, config)
    s.drive = drive
    s.backup = newBackupState(config, drive)
    return { note: `drive "${drive.name}": pool ${drive.pool} GUID ${drive.poolGuid}${o.configPath ? ` → ${o.configPath}` : ''}` }
  },
}

/** The backup engine's own steps, run on the state setup built for them. */
function fromBackup(id: string, title?: string): Step<SetupState> {
  const step = backupSteps.find((x) => x.id === id)
  if (!step) throw new Error(`backup has no step ${id}`)
  return { id, title: title ?? step.title, run: (ctx, s) => step.run(ctx, s.backup!) }
}

const properties: Step<SetupState> = {
  id: 'properties',
  title: 'Make the copy read-only and browsable (guide 5.1, 5.2)',
  async run(ctx, s) {
    const root = await getDatasetProperties(ctx.runner, s.drive!.pool)
    const base = root.mountpoint.startsWith('/') ? root.mountpoint : defaultPoolMountpoint(s.drive!.pool)
    for (const target of Object.values(s.drive!.targets)) {
      await ctx.runner.run(setArgv(target, targetProperties(`${base}/${target.slice(target.indexOf('/') + 1)}`)))
    }
  },
}

/** What the guide's commands produce, as zpool/zfs get print it (-p: raw values). */
export function expectedProperties(pool: string, poolMountpoint: string): { pool: Record<string, string>; root: Record<string, string> } {
  const o = guidePoolOptions(poolMountpoint)
  return { pool: o.pool, root: o.fs }
}

/** Differences between what is set and what should be, as "name: prop=actual (want expected)". */
export function propertyMismatches(name: string, actual: Record<string, { value: string } | undefined>, want: Record<string, string>): string[] {
  // zfs prints some values under another name: acltype=posixacl as posix, and (OpenZFS >= 2.2, where
  // `on` means system-attribute xattrs) xattr=sa as on.
  const alias: Record<string, string> = { 'acltype=posixacl': 'posix', 'xattr=sa': 'on' }
  const same = (k: string, a: string | undefined, w: string): boolean => a === w || alias[`${k}=${w}`] === a
  return Object.entries(want).filter(([k, v]) => !same(k, actual[k]?.value, v)).map(([k, v]) => `${name}: ${k}=${actual[k]?.value ?? '(unset)'} (want ${v})`)
}

const check: Step<SetupState> = {
  id: 'check',
  title: 'Check every property of the guide',
  async run(ctx, s) {
    const d = s.drive!
    const rootProps = parsePropertyRows((await ctx.runner.run(getPropertiesArgv(d.pool, ['mountpoint']))).stdout).get(d.pool) ?? {}
    const mp = rootProps.mountpoint?.value ?? defaultPoolMountpoint(d.pool)
    const want = expectedProperties(d.pool, mp)
    const poolGot = parsePoolGet((await ctx.runner.run(poolGetArgv(d.pool, Object.keys(want.pool)))).stdout).get(d.pool) ?? {}
    const rootGot = parsePropertyRows((await ctx.runner.run(getPropertiesArgv(d.pool, Object.keys(want.root)))).stdout).get(d.pool) ?? {}
    const bad = [...propertyMismatches(d.pool, poolGot, want.pool), ...propertyMismatches(d.pool, rootGot, want.root)]
    for (const [source, target] of Object.entries(d.targets)) {
      const [sp, tp] = [await getDatasetProperties(ctx.runner, source), await getDatasetProperties(ctx.runner, target)]
      const tw = { ...targetProperties(`${mp}/${target.slice(target.indexOf('/') + 1)}`), encryption: sp.encryption, keystatus: 'unavailable', encryptionroot: target }
      bad.push(...propertyMismatches(target, tp.raw, tw))
    }
    if (bad.length) throw new EngineError('verify-failed', `The drive is not set up as the guide says: ${bad.join('; ')}.`)
    return { note: `pool and ${Object.keys(d.targets).length} target(s) as the guide; encrypted, key not on the drive` }
  },
}

const exportPool = exportStep<SetupState>({
  skip: (s) => (s.guid ? null : 'no pool was created'),
  // Before the drive is recorded, its pool is known by the GUID create returned.
  drive: async (s, ctx) => {
    const mine = (await listPools(ctx.runner)).find((p) => p.guid === s.guid)
    return mine ? (s.drive ?? { name: s.o.name, pool: mine.name, poolGuid: mine.guid, disk: s.o.disk, targets: {} }) : null
  },
})

const powerOff: Step<SetupState> = {
  id: 'power-off',
  title: 'Power off the drive',
  async run(ctx, s) {
    if (!s.o.powerOff) return { skipped: 'not requested (zfs-drive-backup eject powers it off)' }
    await powerOffDrive(ctx, s.drive!)
    return { note: 'safe to unplug' }
  },
}

export const setupSteps: Step<SetupState>[] = [
  preflight, wipe, partition, create, record,
  fromBackup('import'), fromBackup('plan'), fromBackup('replicate', 'First copy (raw, encrypted)'), fromBackup('verify'), fromBackup('keep-base'),
  properties, check, exportPool, powerOff,
]

export async function setup(o: SetupOptions): Promise<Outcome> {
  const state: SetupState = { o, lock: null, mode: 'fresh', facts: null, disk: null, sources: [], replaces: null, guid: null, drive: null, backup: null }
  try {
    return await runPipeline({ verb: 'setup', drive: o.name, steps: setupSteps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}

export type { StepContext }
