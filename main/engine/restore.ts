// Restore (the guide's section 9) as open / list / file / close. `restore open` imports with -N (the pool
// root is readonly, so mounting the target under a mounted root fails with "failed to create mountpoint:
// Read-only file system"), loads each target's key from a passphrase passed on the stdin of `zfs
// load-key` only, and mounts only the targets. A wrong passphrase leaves nothing mounted, loaded or
// imported that was not so before. `restore close` unmounts, unloads the keys and exports.
//
// Found in the test VM (test/vm/lifecycle.vm.test.ts): after open + close (key loaded, mounted
// read-only, unmounted, unloaded) the next incremental raw backup is received normally, so the guide's
// "destroy the backup dataset and send it again with syncoid" is not needed for a read-only restore.
import type { DriveRunOptions } from './pipeline'
import { lstat, realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { DriveConfig } from '../config/schema'
import { copyOutArgv } from '../system/disk-prep'
import type { Runner } from '../system/runner'
import { getDatasetProperties, isWrongPassphrase, listSnapshots, loadKeyArgv, mountArgv, unloadKeyArgv, unmountArgv, type SnapshotInfo } from '../system/zfs'
import { listPools, parseStatusJson, statusErrors, statusJsonArgv } from '../system/zpool'
import { pickDrive, requireRoot } from './preflight'
import { EngineError } from './errors'
import { LifecycleError } from './lifecycle-errors'
import { exportStep } from './export-step'
import { acquireLock, releasingLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step } from './pipeline'
import { exportDrivePool, importDrivePool, isImported } from './pool'

/** Asked once per target whose key is not loaded; the answer goes to zfs load-key's stdin only. */
export type PassphraseSource = string | ((dataset: string) => Promise<string>)

interface OpenState {
  drive: DriveConfig
  passphrase: PassphraseSource
  lockPath?: string
  lock: Lock | null
  importedByUs: boolean
  loaded: string[]
  mounted: string[]
  done: boolean
  snapshotDirs: string[]
}

const rootCheck = (what: string): void => {
  requireRoot(`${what} imports the pool and loads a key`)
}

const openSteps: Step<OpenState>[] = [
  {
    id: 'import',
    title: 'Import the drive\'s pool (mounting nothing)',
    async run(ctx, s) {
      s.lock = acquireLock(s.lockPath, `restore of ${s.drive.name}`)
      rootCheck('Opening a restore')
      const r = await importDrivePool(ctx, s.drive)
      s.importedByUs = r === 'imported'
      return { note: r === 'imported' ? `imported ${s.drive.pool}` : 'already imported' }
    },
  },
  {
    id: 'load-key',
    title: 'Load the key (passphrase)',
    async run(ctx, s) {
      let n = 0
      for (const target of Object.values(s.drive.targets)) {
        const p = await getDatasetProperties(ctx.runner, target)
        if (!p.encrypted || p.keystatus === 'available') continue
        // The encryption root holds the key; a raw-received target is its own (keylocation=prompt).
        const root = p.encryptionroot ?? target
        if (s.loaded.includes(root)) continue
        const pass = typeof s.passphrase === 'string' ? s.passphrase : await s.passphrase(root)
        const r = await ctx.runner.run(loadKeyArgv(root), { input: pass.replace(/\n$/, ''), allowFailure: true, timeoutMs: 300_000 })
        if (r.exitCode !== 0) {
          if (isWrongPassphrase(r.stderr)) throw new LifecycleError('wrong-passphrase', `Wrong passphrase for ${root}.`, 'Nothing was mounted; the drive is left as it was. Try again with the passphrase of the laptop\'s dataset at the time of the backup.')
          throw new EngineError('command-failed', `zfs load-key ${root} failed: ${r.stderr.trim()}`)
        }
        s.loaded.push(root)
        n++
      }
      return n ? { note: `${n} key(s) loaded` } : { skipped: 'already loaded' }
    },
  },
  {
    id: 'mount',
    title: 'Mount the backup (read-only)',
    async run(ctx, s) {
      for (const target of Object.values(s.drive.targets)) {
        const p = await getDatasetProperties(ctx.runner, target)
        if (!p.mountpoint.startsWith('/')) throw new EngineError('command-failed', `${target} has mountpoint=${p.mountpoint}, so it cannot be browsed.`, `Set one: zfs set mountpoint=/mnt/${s.drive.pool}_pool/${basename(target)} ${target}`)
        if (!p.mounted) {
          const r = await ctx.runner.run(mountArgv(target), { allowFailure: true })
          if (r.exitCode !== 0) {
            const hint = /Read-only file system/.test(r.stderr) ? `The pool root is mounted and read-only, so ${p.mountpoint} cannot be created under it: \`zfs unmount ${s.drive.pool}\`, then open again.` : undefined
            throw new EngineError('command-failed', `zfs mount ${target} failed: ${r.stderr.trim()}`, hint)
          }
          s.mounted.push(target)
        }
        s.snapshotDirs.push(join(p.mountpoint, '.zfs', 'snapshot'))
        ctx.info(`${target}: snapshots are in ${join(p.mountpoint, '.zfs', 'snapshot')}`)
      }
      return { note: s.snapshotDirs.join(', ') }
    },
  },
  {
    id: 'errors',
    title: 'Check for known damage',
    async run(ctx, s) {
      s.done = true
      const [st] = parseStatusJson((await ctx.runner.run(statusJsonArgv(s.drive.pool))).stdout)
      if (!st || st.errorCount === 0) return { note: 'no known data errors' }
      const e = await statusErrors(ctx.runner, s.drive.pool)
      const files = e.kind === 'files' ? e.files : []
      ctx.warn('data-errors', `The last scrub found ${st.errorCount} damaged object(s) on this drive${files.length ? '' : ' (the list is unavailable)'}; do not restore these from it:`)
      for (const f of files) ctx.info(`  damaged: ${f.dataset}${f.snapshot ? `@${f.snapshot}` : ''}:${f.path}`)
      return { note: `${st.errorCount} data error(s)` }
    },
  },
  {
    id: 'cleanup',
    title: 'Undo a failed open',
    always: true,
    async run(ctx, s) {
      return releasingLock(s, async () => {
        if (s.done) return { skipped: 'open' }
        for (const t of s.mounted.reverse()) await ctx.runner.run(unmountArgv(t), { allowFailure: true })
        for (const k of s.loaded.reverse()) await ctx.runner.run(unloadKeyArgv(k), { allowFailure: true })
        if (s.importedByUs && (await isImported(ctx, s.drive))) await exportDrivePool(ctx, s.drive)
        return { note: 'left as it was' }
      })
    },
  },
]

export interface RestoreOpenOptions extends DriveRunOptions {
  passphrase: PassphraseSource
}

export async function restoreOpen(o: RestoreOpenOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state: OpenState = { drive, passphrase: o.passphrase, lock: null, importedByUs: false, loaded: [], mounted: [], done: false, snapshotDirs: [], ...(o.lockPath ? { lockPath: o.lockPath } : {}) }
  try {
    return await runPipeline({ verb: 'restore-open', drive: drive.name, steps: openSteps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}

// ---------------------------------------------------------------- close

interface CloseState {
  drive: DriveConfig
  lockPath?: string
  lock: Lock | null
  imported: boolean
}

const closeSteps: Step<CloseState>[] = [
  {
    id: 'unmount',
    title: 'Unmount the backup',
    async run(ctx, s) {
      s.lock = acquireLock(s.lockPath, `closing the restore of ${s.drive.name}`)
      rootCheck('Closing a restore')
      s.imported = await isImported(ctx, s.drive)
      if (!s.imported) return { skipped: 'the drive is not imported' }
      let n = 0
      for (const target of Object.values(s.drive.targets)) {
        const p = await getDatasetProperties(ctx.runner, target).catch(() => null)
        if (!p?.mounted) continue
        await unmountOrExplain(ctx, s, () => ctx.runner.run(unmountArgv(target), { allowFailure: true }), p.mountpoint)
        n++
      }
      return n ? { note: `${n} unmounted` } : { skipped: 'nothing mounted' }
    },
  },
  {
    id: 'unload-key',
    title: 'Unload the key',
    async run(ctx, s) {
      if (!s.imported) return { skipped: 'the drive is not imported' }
      let n = 0
      for (const target of Object.values(s.drive.targets)) {
        const p = await getDatasetProperties(ctx.runner, target).catch(() => null)
        if (p?.keystatus !== 'available') continue
        await ctx.runner.run(unloadKeyArgv(p.encryptionroot ?? target))
        n++
      }
      return n ? { note: `${n} key(s) unloaded` } : { skipped: 'no key loaded' }
    },
  },
  exportStep<CloseState>({ drive: (s) => s.drive }),
]

/** `zfs unmount` of a folder someone still uses says "target is busy": name them like export does. */
async function unmountOrExplain(ctx: Parameters<Step<CloseState>['run']>[0], s: CloseState, unmount: () => ReturnType<Runner['run']>, mountpoint: string): Promise<void> {
  const r = await unmount()
  if (r.exitCode === 0) return
  if (/busy/.test(r.stderr)) {
    const { findHolders } = await import('../system/processes')
    const holders = await findHolders(mountpoint)
    const who = holders.map((h) => `${h.command} (${h.pid}) at ${h.path}`).join(', ')
    throw new EngineError('pool-busy', `${mountpoint} is in use${who ? `: ${who}` : ''}.`, 'Close those programs or terminals, or leave the folder, then close the restore again.', holders.map(({ pid, command, path }) => ({ pid, command, path })))
  }
  throw new EngineError('command-failed', `Could not unmount ${mountpoint} of drive "${s.drive.name}": ${r.stderr.trim()}`)
}

export type RestoreCloseOptions = DriveRunOptions

export async function restoreClose(o: RestoreCloseOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state: CloseState = { drive, lock: null, imported: false, ...(o.lockPath ? { lockPath: o.lockPath } : {}) }
  try {
    return await runPipeline({ verb: 'restore-close', drive: drive.name, steps: closeSteps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}

// ---------------------------------------------------------------- list and file (no pipeline: they change no pool)

export interface OpenTarget {
  target: string
  source: string
  /** Where the mounted target's snapshots are browsable. */
  snapshotDir: string
}

/** The targets of an open restore (imported, key loaded, mounted); refuses when the restore is not open. */
export async function openTargets(runner: Runner, drive: DriveConfig): Promise<OpenTarget[]> {
  if (!(await listPools(runner)).some((p) => p.guid === drive.poolGuid)) {
    throw new LifecycleError('restore-not-open', `Drive "${drive.name}" is not open for restore.`, 'Run `zfs-drive-backup restore open` first.')
  }
  const out: OpenTarget[] = []
  for (const [source, target] of Object.entries(drive.targets)) {
    const p = await getDatasetProperties(runner, target)
    if (!p.mounted) throw new LifecycleError('restore-not-open', `${target} is not mounted (key ${p.keystatus ?? 'n/a'}).`, 'Run `zfs-drive-backup restore open` first.')
    out.push({ target, source, snapshotDir: join(p.mountpoint, '.zfs', 'snapshot') })
  }
  return out
}

export interface RestoreSnapshot {
  target: string
  snapshot: string
  createdAt: string
  guid: string
  path: string
}

/** Snapshots on the drive with their dates; needs only the pool imported (not the key). */
export async function restoreList(runner: Runner, drive: DriveConfig): Promise<RestoreSnapshot[]> {
  if (!(await listPools(runner)).some((p) => p.guid === drive.poolGuid)) {
    throw new LifecycleError('restore-not-open', `Drive "${drive.name}" is not imported.`, 'Run `zfs-drive-backup restore open` first.')
  }
  const out: RestoreSnapshot[] = []
  for (const target of Object.values(drive.targets)) {
    const p = await getDatasetProperties(runner, target)
    const snaps: SnapshotInfo[] = await listSnapshots(runner, target)
    for (const sn of snaps) out.push({ target, snapshot: sn.snapshot, createdAt: new Date(sn.creation * 1000).toISOString(), guid: sn.guid, path: join(p.mountpoint, '.zfs', 'snapshot', sn.snapshot) })
  }
  return out
}

/** Where a restore of `path` from `snapshot` comes from and goes to; refuses escapes out of the snapshot. */
export function restorePaths(snapshotDir: string, snapshot: string, path: string, toDir: string): { from: string; to: string; snapRoot: string } {
  if (!snapshot || snapshot.includes('/') || snapshot === '.' || snapshot === '..') throw new LifecycleError('snapshot-not-found', `"${snapshot}" is not a snapshot name.`)
  const snapRoot = join(snapshotDir, snapshot)
  const rel = path.replace(/^\/+/, '')
  const from = resolve(snapRoot, rel)
  const r = relative(snapRoot, from)
  if (r.startsWith('..') || isAbsolute(r)) throw new LifecycleError('restore-path-invalid', `${path} is outside the snapshot.`)
  if (!isAbsolute(toDir)) throw new LifecycleError('restore-path-invalid', `--to ${toDir} must be an absolute folder.`)
  const name = r === '' ? snapshot : basename(from)
  return { from, to: join(toDir, name), snapRoot }
}

export interface RestoreFileOptions {
  runner: Runner
  drive: DriveConfig
  /** `name` or `target@name` (needed when the drive has several targets). */
  snapshot: string
  path: string
  toDir: string
  force?: boolean
}

/** Copies a file or folder out of a snapshot with `cp -a` (mode, owner, times); never overwrites without force. */
export async function restoreFile(o: RestoreFileOptions): Promise<{ from: string; to: string; command: string[] }> {
  const targets = await openTargets(o.runner, o.drive)
  const at = o.snapshot.indexOf('@')
  const [want, snap] = at >= 0 ? [o.snapshot.slice(0, at), o.snapshot.slice(at + 1)] : [null, o.snapshot]
  const candidates = want ? targets.filter((t) => t.target === want) : targets
  if (candidates.length === 0) throw new LifecycleError('snapshot-not-found', `${want} is not a target of drive "${o.drive.name}".`)
  if (candidates.length > 1) throw new LifecycleError('snapshot-not-found', `Drive "${o.drive.name}" has several targets; name the snapshot as target@name (${candidates.map((t) => t.target).join(', ')}).`)
  const t = candidates[0]!
  const known = await listSnapshots(o.runner, t.target)
  if (!known.some((x) => x.snapshot === snap)) throw new LifecycleError('snapshot-not-found', `${t.target}@${snap} does not exist.`, 'See `zfs-drive-backup restore list`.')
  const p = restorePaths(t.snapshotDir, snap, o.path, o.toDir)
  if (!(await lstat(p.from).then(() => true, () => false))) throw new LifecycleError('restore-path-invalid', `${o.path} does not exist in ${t.target}@${snap}.`)
  // A symlinked folder inside the snapshot must not lead the copy outside it (cp -a copies a final symlink as a link).
  const realRoot = await realpath(p.snapRoot)
  const realParent = p.from === p.snapRoot ? realRoot : await realpath(dirname(p.from))
  if (realParent !== realRoot && relative(realRoot, realParent).startsWith('..')) throw new LifecycleError('restore-path-invalid', `${o.path} leads outside the snapshot.`)
  const exists = await lstat(p.to).then(() => true, () => false)
  if (exists && !o.force) throw new LifecycleError('restore-destination-exists', `${p.to} already exists; nothing was copied.`, 'Choose another --to folder, or add --force to overwrite.')
  const argv = copyOutArgv(p.from, p.to)
  await o.runner.run(argv)
  return { from: p.from, to: p.to, command: argv }
}
