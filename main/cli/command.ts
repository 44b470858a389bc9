// How a CLI command (a "verb" on the command line) is declared: its own options, help text and a run
// function. Commands live in tables (backup-verbs.ts, lifecycle-verbs.ts) that index.ts merges.
import type { ParseArgsConfig } from 'node:util'
import type { Config } from '../config/schema'

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  isTty: boolean
  /** Reads a secret from the terminal or stdin (never argv or the environment). */
  readSecret?: (prompt: string) => Promise<string>
  /** Reads one typed line (a confirmation), echoed; tests pass their own. */
  readLine?: (prompt: string) => Promise<string>
}

export interface VerbContext {
  config: Config
  configPath: string
  historyPath: string
  /** Running as root for this user (sudo, doas, pkexec, or their --config): their files stay theirs. */
  owner: { uid: number; gid: number; name: string } | null
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
  json: boolean
  io: Io
  signal: AbortSignal
}

export interface CliCommand {
  summary: string
  usage: string
  options?: NonNullable<ParseArgsConfig['options']>
  /** Verbs like `disks` or `doctor` must work before any config exists. */
  run(ctx: VerbContext): Promise<number>
  /** The verb finds and reads its config itself (as root, for another user): ctx.config is empty. */
  ownConfig?: boolean
  /** Left out of --help and the man page's command list (run by the systemd service, not by people). */
  internal?: boolean
}

/** Where a run's record goes, and whose file it is. */
export const historyOf = (ctx: Pick<VerbContext, 'historyPath' | 'owner'>): { path: string; owner: { uid: number; gid: number } | null } => ({ path: ctx.historyPath, owner: ctx.owner })

/** Exit codes the brief fixed: scripts branch on them. */
export const EXIT = { ok: 0, failed: 1, usage: 2, notPresent: 3, busy: 4, overdue: 5, neverBackedUp: 6, cancelled: 130 } as const
