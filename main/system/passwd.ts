// `getent passwd UID`: who owns a config when root acts for a user (sudo, pkexec, the headless service).
import { CommandError, type Runner } from './runner'

export interface UserEntry {
  name: string
  uid: number
  gid: number
  home: string
}

export const getentPasswdArgv = (uid: number): string[] => ['getent', 'passwd', String(uid)]

/** Parses one passwd line (name:x:uid:gid:gecos:home:shell); null when it is not one. */
export function parsePasswdLine(line: string): UserEntry | null {
  const f = line.trim().split(':')
  if (f.length < 7) return null
  const [name, , uid, gid, , home] = f
  if (!name || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '') || !home?.startsWith('/')) return null
  return { name, uid: Number(uid), gid: Number(gid), home }
}

/** The user with this uid, or null when there is none (getent exits 2). */
export async function lookupUser(runner: Runner, uid: number): Promise<UserEntry | null> {
  try {
    const r = await runner.run(getentPasswdArgv(uid), { allowFailure: true })
    if (r.exitCode !== 0) return null
    const u = parsePasswdLine(r.stdout.split('\n')[0] ?? '')
    return u && u.uid === uid ? u : null
  } catch (err) {
    if (err instanceof CommandError) return null
    throw err
  }
}
