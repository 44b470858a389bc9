// Who root is acting for: the user behind sudo, doas or pkexec (config/owner.ts answers, from passwd,
// never from HOME or XDG variables the caller may have kept), else root itself.
import { invokingUser as invokingAccount, userFiles } from '../config/owner'
import { lookupUser, type UserEntry } from '../system/passwd'
import type { Runner } from '../system/runner'

export async function invokingUser(runner: Runner, env: NodeJS.ProcessEnv = process.env): Promise<UserEntry | null> {
  const found = await invokingAccount(env, process.geteuid?.() ?? -1)
  return found ? found.user : lookupUser(runner, process.getuid?.() ?? 0)
}

/** The XDG defaults of another user: root cannot know their XDG_* variables, so the spec's fallbacks. */
export const userDefaultPaths = (user: UserEntry): { configPath: string; historyPath: string } => userFiles(user)

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
