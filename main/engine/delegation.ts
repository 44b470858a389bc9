// Delegation (the guide's 10.4): what the invoking user must be allowed on each configured source for the
// app's unprivileged features, what they hold, and the grant/revoke runs the helper performs as root.
//
// Measured in the test VM (OpenZFS 2.3.2, test/fixtures/zfs/delegation/): listing snapshots needs no
// permission at all; `zfs diff` needs `diff` (with `mount` alone it fails, with `diff` alone it works
// between snapshots and against the live dataset). So the app's set is just `diff`: the guide's broader
// `create,destroy,mount,snapshot` is the reader's choice, not the app's need. Taking and deleting
// snapshots by hand goes through the helper (main/engine/hand-snapshot.ts) and needs no delegation.
import type { DoctorCheck } from '../../shared/wire'
import type { Config } from '../config/schema'
import { invokingUser } from '../config/owner'
import type { Runner } from '../system/runner'
import { lookupUser, type UserEntry } from '../system/passwd'
import { allowArgv, directGrants, effectivePermissions, readAllow, unallowArgv, userGroups } from '../system/zfs-allow'
import { EngineError } from './errors'
import { requireRoot } from './preflight'
import { runPipeline, type Outcome, type Step } from './pipeline'
import type { Emit } from '../../shared/events'

/** What the app's features run as the user need, and nothing more (see above). */
export const APP_PERMISSIONS = ['diff'] as const
export const PERMISSION_USES: Record<(typeof APP_PERMISSIONS)[number], string> = { diff: 'zfs diff (what changed between snapshots)' }

export interface SourceDelegation {
  dataset: string
  held: string[]
  missing: string[]
  /** What the app granted itself and revoke can take back. */
  revocable: string[]
  /** Exactly what a grant runs (null: nothing missing). */
  grant: string[] | null
  /** Exactly what a revoke runs (null: nothing of the app's to take back). */
  revoke: string[] | null
}

export interface DelegationReport {
  user: string
  /** Root needs no delegation. */
  root: boolean
  sources: SourceDelegation[]
}

/** The user root acts for (config/owner.ts's one answer: pkexec, sudo, doas), else the process's own. */
export async function invokingUidFrom(env: NodeJS.ProcessEnv): Promise<number> {
  const invoking = await invokingUser(env, process.geteuid?.() ?? 0)
  return invoking?.user.uid ?? process.getuid?.() ?? 0
}

export async function resolveUser(runner: Runner, uid: number): Promise<UserEntry> {
  const u = await lookupUser(runner, uid)
  if (!u) throw new EngineError('user-unknown', `No user with uid ${uid} in passwd.`)
  return u
}

export async function readDelegation(runner: Runner, config: Config, user: UserEntry, only?: string): Promise<DelegationReport> {
  const datasets = config.sources.map((s) => s.dataset).filter((d) => only === undefined || d === only)
  if (only !== undefined && datasets.length === 0) throw new EngineError('source-missing', `${only} is not a configured source.`)
  if (user.uid === 0) return { user: user.name, root: true, sources: datasets.map((dataset) => ({ dataset, held: [...APP_PERMISSIONS], missing: [], revocable: [], grant: null, revoke: null })) }
  const groups = await userGroups(runner, user.name)
  const sources: SourceDelegation[] = []
  for (const dataset of datasets) {
    const sections = await readAllow(runner, dataset)
    const held = effectivePermissions(sections, dataset, { user: user.name, groups })
    const missing = APP_PERMISSIONS.filter((p) => !held.has(p))
    const direct = directGrants(sections, dataset, user.name)
    const revocable = APP_PERMISSIONS.filter((p) => direct.has(p))
    sources.push({
      dataset, held: [...held].sort(), missing, revocable,
      grant: missing.length ? allowArgv(user.name, missing, dataset) : null,
      revoke: revocable.length ? unallowArgv(user.name, revocable, dataset) : null,
    })
  }
  return { user: user.name, root: false, sources }
}

/** One doctor check per source. */
export function delegationChecks(r: DelegationReport): DoctorCheck[] {
  return r.sources.map((s) => ({
    id: `delegation:${s.dataset}`,
    title: `${r.user} may run zfs diff on ${s.dataset} without root`,
    ok: s.missing.length === 0,
    severity: 'warning',
    detail: r.root
      ? 'running as root: no delegation needed'
      : s.missing.length === 0
        ? `delegated: ${APP_PERMISSIONS.join(', ')}`
        : `missing ${s.missing.map((p) => `"${p}" (${PERMISSION_USES[p as keyof typeof PERMISSION_USES]})`).join(', ')}; holds ${s.held.length ? s.held.join(', ') : 'nothing'}`,
    ...(s.grant ? { fix: { debian: `sudo zfs-drive-backup delegation grant  # runs: ${s.grant.join(' ')}`, nixos: `sudo zfs-drive-backup delegation grant  # runs: ${s.grant.join(' ')}` } } : {}),
  }))
}

/** Doctor's checks for the user it runs for; nothing when that cannot be read (no passwd entry, no zfs allow). */
export async function delegationDoctor(runner: Runner, config: Config, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  if (config.sources.length === 0) return []
  try {
    return delegationChecks(await readDelegation(runner, config, await resolveUser(runner, await invokingUidFrom(env))))
  } catch {
    return []
  }
}

interface DelegationState {
  config: Config
  uid: number
  mode: 'grant' | 'revoke'
  only?: string
  user: UserEntry | null
  report: DelegationReport | null
}

const steps: Step<DelegationState>[] = [
  {
    id: 'check',
    title: 'Read what is delegated now (zfs allow)',
    async run(ctx, s) {
      s.user = await resolveUser(ctx.runner, s.uid)
      if (s.user.uid === 0) throw new EngineError('not-root', 'Root needs no delegated permissions.', 'Run this as the user who uses the app (sudo keeps who you are).')
      s.report = await readDelegation(ctx.runner, s.config, s.user, s.only)
      return { note: s.report.sources.map((x) => `${x.dataset}: ${s.mode === 'grant' ? (x.missing.length ? `missing ${x.missing.join(',')}` : 'nothing missing') : x.revocable.length ? `granted ${x.revocable.join(',')}` : 'nothing to take back'}`).join('; ') }
    },
  },
  {
    id: 'apply',
    title: 'Change the delegation',
    async run(ctx, s) {
      requireRoot('Delegating ZFS permissions', 'Run it with sudo (it delegates to you, the user sudo was run by), or use the window, which asks for your password.')
      const todo = s.report!.sources.flatMap((x) => (s.mode === 'grant' ? (x.grant ? [x.grant] : []) : x.revoke ? [x.revoke] : []))
      if (todo.length === 0) return { skipped: s.mode === 'grant' ? 'every permission is already delegated' : 'nothing of the app\'s is delegated' }
      for (const argv of todo) await ctx.runner.run(argv)
      return { note: `${todo.length} command${todo.length === 1 ? '' : 's'}` }
    },
  },
  {
    id: 'verify',
    title: 'Check the result (zfs allow again)',
    async run(ctx, s) {
      // zfs allow exits 0 even when it refused a name: only the listing says what happened.
      const after = await readDelegation(ctx.runner, s.config, s.user!, s.only)
      const wrong = after.sources.filter((x) => (s.mode === 'grant' ? x.missing.length > 0 : x.revocable.length > 0))
      if (wrong.length) throw new EngineError('command-failed', `zfs ${s.mode === 'grant' ? 'allow' : 'unallow'} did not take effect on ${wrong.map((x) => x.dataset).join(', ')}.`)
      const still = s.mode === 'revoke' ? after.sources.filter((x) => x.missing.length === 0) : []
      return { note: still.length ? `revoked; ${still.map((x) => x.dataset).join(', ')} still allow diff through a group, everyone or a parent dataset` : s.mode === 'grant' ? `${s.user!.name} holds ${APP_PERMISSIONS.join(',')} on every source` : 'revoked' }
    },
  },
]

export interface DelegationRunOptions {
  config: Config
  /** Whose delegation: the invoking user, never a name from a job. */
  uid: number
  mode: 'grant' | 'revoke'
  source?: string
  runner: Runner
  emit: Emit
  signal: AbortSignal
}

export function changeDelegation(o: DelegationRunOptions): Promise<Outcome> {
  const state: DelegationState = { config: o.config, uid: o.uid, mode: o.mode, user: null, report: null, ...(o.source ? { only: o.source } : {}) }
  return runPipeline({ verb: o.mode === 'grant' ? 'delegation-grant' : 'delegation-revoke', drive: null, steps, state, runner: o.runner, emit: o.emit, signal: o.signal })
}
