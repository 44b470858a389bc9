// Who root is acting for: the user behind sudo or pkexec, else root itself. Their config and history are
// the default ones under their home (looked up in passwd, since sudo may have reset HOME to root's).
import { join } from 'node:path'
import { APP_DIR } from '../config/load'
import { lookupUser, type UserEntry } from '../system/passwd'
import type { Runner } from '../system/runner'

export function invokingUid(env: NodeJS.ProcessEnv = process.env): number {
  for (const name of ['PKEXEC_UID', 'SUDO_UID'] as const) {
    const v = env[name]
    if (v !== undefined && /^\d+$/.test(v)) return Number(v)
  }
  return process.getuid?.() ?? 0
}

export async function invokingUser(runner: Runner, env: NodeJS.ProcessEnv = process.env): Promise<UserEntry | null> {
  return lookupUser(runner, invokingUid(env))
}

/** The XDG defaults of another user: root cannot know their XDG_* variables, so the spec's fallbacks. */
export function userDefaultPaths(user: UserEntry): { configPath: string; historyPath: string } {
  return { configPath: join(user.home, '.config', APP_DIR, 'config.json'), historyPath: join(user.home, '.local/state', APP_DIR, 'history.jsonl') }
}

/**
 * Drops root for good: after the root work of a run, its history and notification are the user's own
 * business, written with the user's rights into the user's files (never root following the user's links).
 */
export function dropPrivileges(user: UserEntry): void {
  if (process.getuid?.() !== 0 || user.uid === 0) return
  process.setgroups?.([user.gid])
  process.setgid?.(user.gid)
  process.setuid?.(user.uid)
}
