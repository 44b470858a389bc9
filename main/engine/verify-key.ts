// Key rehearsal: `zfs load-key -n` on the drive's backup dataset checks that the user still knows the
// passphrase, without loading the key. The pool is imported read-only when this run imports it, so the
// rehearsal writes nothing to the drive.
import type { DriveRunOptions } from './pipeline'
import type { DriveConfig } from '../config/schema'
import { loadKeyDryRunArgv } from '../system/disk-prep'
import { getDatasetProperties, isWrongPassphrase } from '../system/zfs'
import { pickDrive, requireRoot } from './preflight'
import { EngineError } from './errors'
import { LifecycleError } from './lifecycle-errors'
import { exportStep, IMPORTED_BEFORE } from './export-step'
import { acquireLock, type Lock } from './lock'
import { runPipeline, type Outcome, type Step } from './pipeline'
import { importDrivePool } from './pool'
import type { PassphraseSource } from './restore'

interface VerifyKeyState {
  drive: DriveConfig
  passphrase: PassphraseSource
  lockPath?: string
  lock: Lock | null
  importedByUs: boolean
}

const steps: Step<VerifyKeyState>[] = [
  {
    id: 'import',
    title: 'Import the drive\'s pool (read-only)',
    async run(ctx, s) {
      s.lock = acquireLock(s.lockPath, `key check of ${s.drive.name}`)
      requireRoot('Checking the key imports the pool')
      const pool = await importDrivePool(ctx, s.drive, { readonly: true })
      s.importedByUs = pool.importedByUs
      return { note: pool.importedByUs ? `imported ${pool.name} read-only` : `${pool.name} already imported` }
    },
  },
  {
    id: 'check',
    title: 'Check the passphrase (key not loaded)',
    async run(ctx, s) {
      const roots: string[] = []
      for (const target of Object.values(s.drive.targets)) {
        const p = await getDatasetProperties(ctx.runner, target)
        if (!p.encrypted) throw new EngineError('target-unencrypted', `${target} is not encrypted: there is no passphrase to check.`)
        if (p.keystatus === 'available') throw new EngineError('drive-open-for-restore', `The key of ${target} is loaded (a restore is open).`, 'Close it first: zfs-drive-backup restore close')
        const root = p.encryptionroot ?? target
        if (roots.includes(root)) continue
        const pass = typeof s.passphrase === 'string' ? s.passphrase : await s.passphrase(root)
        const r = await ctx.runner.run(loadKeyDryRunArgv(root), { input: pass.replace(/\n$/, ''), allowFailure: true, timeoutMs: 300_000 })
        if (r.exitCode !== 0) {
          if (isWrongPassphrase(r.stderr)) throw new LifecycleError('wrong-passphrase', `That is not the passphrase of ${root}.`, 'Without the right passphrase this backup cannot be restored. Try again; if it is lost, make a new backup on a drive whose passphrase you know.')
          throw new EngineError('command-failed', `zfs load-key -n ${root} failed: ${r.stderr.trim()}`)
        }
        roots.push(root)
      }
      return { note: `the passphrase opens ${roots.join(', ')}` }
    },
  },
  exportStep<VerifyKeyState>({ skip: (s) => (s.importedByUs ? null : IMPORTED_BEFORE), drive: (s) => s.drive }),
]

export interface VerifyKeyOptions extends DriveRunOptions {
  passphrase: PassphraseSource
}

export async function verifyKey(o: VerifyKeyOptions): Promise<Outcome> {
  const drive = pickDrive(o.config, o.driveName)
  const state: VerifyKeyState = { drive, passphrase: o.passphrase, lock: null, importedByUs: false, ...(o.lockPath ? { lockPath: o.lockPath } : {}) }
  try {
    return await runPipeline({ verb: 'verify-key', drive: drive.name, steps, state, runner: o.runner, emit: o.emit, signal: o.signal })
  } finally {
    state.lock?.release()
  }
}
