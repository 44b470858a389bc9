// The guide's 10.3, from the app: `zfs snapshot DS@NAME` and `zfs destroy DS@NAME`, run by the helper as
// root. Only for a snapshot of a configured source (never a child, never a range or list), and a delete
// only when its name is typed again.
import type { Config } from '../config/schema'
import type { Emit } from '../../shared/events'
import type { Runner } from '../system/runner'
import { snapshotNameRule } from '../system/names'
import { destroySnapshotArgv, listSnapshots } from '../system/zfs'
import { APP_SNAPSHOT_PREFIX, snapshotArgv } from './app-snapshots'
import { EngineError } from './errors'
import { requireRoot } from './preflight'
import { runPipeline, type Outcome, type Step } from './pipeline'

/** Why a name for a hand-made snapshot is refused, or null. */
export function handSnapshotNameRule(name: string): string | null {
  if (!name.trim() || name !== name.trim()) return 'a snapshot name must not be empty or start or end with a space'
  // sanoid would take an "autosnap…ly" name for one of its own and prune it; the app prunes its prefix.
  if (name.startsWith('autosnap')) return 'names starting with "autosnap" belong to sanoid (it would prune the snapshot)'
  if (name.startsWith(APP_SNAPSHOT_PREFIX)) return `names starting with "${APP_SNAPSHOT_PREFIX}" belong to the app (its retention would prune the snapshot)`
  return snapshotNameRule(`pool/ds@${name}`) ?? null
}

/** `DS@NAME` split, when DS is a configured source; otherwise an EngineError saying why not. */
export function configuredSnapshot(config: Config, snapshot: string): { source: string; name: string } {
  const rule = snapshotNameRule(snapshot)
  if (rule) throw new EngineError('snapshot-refused', `"${snapshot}" is not a snapshot name: ${rule}.`)
  const at = snapshot.indexOf('@')
  const source = snapshot.slice(0, at)
  if (!config.sources.some((s) => s.dataset === source)) throw new EngineError('source-missing', `${source} is not a configured source: the app deletes only snapshots of its sources.`)
  return { source, name: snapshot.slice(at + 1) }
}

interface HandState {
  config: Config
  action: { kind: 'create'; source: string; name: string } | { kind: 'destroy'; snapshot: string; confirm: string }
}

const steps: Step<HandState>[] = [
  {
    id: 'check',
    title: 'Check the snapshot is one of a configured source',
    async run(ctx, s) {
      requireRoot('Taking or deleting a snapshot', 'Run it with sudo, or use the window, which asks for your password.')
      const a = s.action
      if (a.kind === 'create') {
        if (!s.config.sources.some((x) => x.dataset === a.source)) throw new EngineError('source-missing', `${a.source} is not a configured source.`)
        const why = handSnapshotNameRule(a.name)
        if (why) throw new EngineError('snapshot-refused', `Cannot name a snapshot "${a.name}": ${why}.`)
        if ((await listSnapshots(ctx.runner, a.source)).some((x) => x.snapshot === a.name)) throw new EngineError('snapshot-refused', `${a.source}@${a.name} already exists.`)
        return { note: `${a.source}@${a.name}` }
      }
      const { source, name } = configuredSnapshot(s.config, a.snapshot)
      if (a.confirm !== name) throw new EngineError('confirmation-mismatch', `Type the snapshot's name (${name}) to delete it.`)
      if (!(await listSnapshots(ctx.runner, source)).some((x) => x.snapshot === name)) throw new EngineError('snapshot-not-found', `${a.snapshot} does not exist.`)
      return { note: a.snapshot }
    },
  },
  {
    id: 'apply',
    title: 'Run zfs',
    async run(ctx, s) {
      const a = s.action
      await ctx.runner.run(a.kind === 'create' ? snapshotArgv(`${a.source}@${a.name}`) : destroySnapshotArgv(a.snapshot))
      return { note: a.kind === 'create' ? `took ${a.source}@${a.name}` : `deleted ${a.snapshot}` }
    },
  },
]

export interface HandSnapshotOptions {
  config: Config
  action: HandState['action']
  runner: Runner
  emit: Emit
  signal: AbortSignal
}

export function handSnapshot(o: HandSnapshotOptions): Promise<Outcome> {
  return runPipeline({ verb: o.action.kind === 'create' ? 'snapshot-create' : 'snapshot-destroy', drive: null, steps, state: { config: o.config, action: o.action }, runner: o.runner, emit: o.emit, signal: o.signal })
}
