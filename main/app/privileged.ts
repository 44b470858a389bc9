// Starts the privileged helper for one job and streams its events back. Electron-free.
//
// Installed: `pkexec <resources>/helper/zfs-drive-backup-helper`, the root-owned wrapper that sits next to
// the app's archive in every package (deb/rpm/pacman: /opt/ZFS Drive Backup/resources; Nix: the store
// path of the package), so the app finds it from where it runs instead of assuming /usr/lib. pkexec is
// found on PATH (NixOS keeps it in /run/wrappers/bin, not /usr/bin). polkit matches that path byte for
// byte to the app's own action (build/linux/io.github.zfsdrivebackup.helper.policy, or the one the NixOS
// module writes; auth_admin_keep), so the password dialog names the app and a backup followed by an
// eject asks once.
//
// The job goes on the helper's stdin as one JSON line, the passphrase (restore-open, verify-key only) as
// the second; neither is ever on a command line, in the environment or in a log. Cancel = close stdin:
// the helper runs as root, so the app could not signal it anyway, and EOF is also what the helper sees
// when the app dies, so it never outlives the app.
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { RunEvent } from '../../shared/events'
import type { Outcome } from '../engine/pipeline'
import { which } from '../engine/tools'
import type { Job } from '../helper/job'

/** Where every package puts the root-owned wrapper that polkit's exec.path names, from the resources folder. */
export const HELPER_IN_RESOURCES = 'helper/zfs-drive-backup-helper'

/**
 * The installed helper wrapper for an app running from `appPath` (Electron's app.getAppPath()): next to
 * the app archive. Null when it runs from source (no archive), where the dev launcher applies.
 */
export function installedHelper(appPath: string): string | null {
  return basename(appPath) === 'app.asar' ? join(dirname(appPath), HELPER_IN_RESOURCES) : null
}

/** The wrapper of the setup action (auth_admin, never kept): setup and adopt erase or take over a disk. */
export const SETUP_HELPER_IN_RESOURCES = 'helper/zfs-drive-backup-setup-helper'

/** Verbs that go through the setup action: a password every time, whatever was asked minutes before. */
export const SETUP_VERBS: ReadonlySet<Job['verb']> = new Set(['setup', 'adopt'])

/**
 * The command for setup and adopt: the setup wrapper next to the installed one when it is there, else the
 * same command as for the rest (from source; a package without the setup action).
 */
export function setupCommandFor(command: readonly string[], exists: (path: string) => boolean = existsSync): string[] {
  const [first, wrapper] = command
  if (first !== 'pkexec' || !wrapper?.endsWith(`/${HELPER_IN_RESOURCES}`)) return [...command]
  const setup = `${wrapper.slice(0, -HELPER_IN_RESOURCES.length)}${SETUP_HELPER_IN_RESOURCES}`
  return exists(setup) ? ['pkexec', setup] : [...command]
}
/** Dev builds only: a JSON array, e.g. ["sudo","-n","node","out/main/helper.js"]. Ignored when packaged. */
export const HELPER_ENV = 'ZFS_DRIVE_BACKUP_HELPER'

export interface LaunchError {
  code: 'auth-dismissed' | 'auth-no-agent' | 'auth-not-authorized' | 'auth-failed' | 'pkexec-missing' | 'helper-missing' | 'helper-crashed'
  message: string
  hint?: string
}

export interface LaunchResult {
  exitCode: number | null
  /** From the helper's run-finished, or null when it never got that far. */
  outcome: Outcome | null
  /** Why no run happened (pkexec refused, no agent, helper missing or crashed). Null when the helper spoke. */
  error: LaunchError | null
  /** The helper wrote at least one event: it ran as root (its own errors arrive as events). */
  helperRan: boolean
}

export interface RunHandle {
  /** The command that was started, exactly (the job is on stdin, not here). */
  readonly command: readonly string[]
  readonly done: Promise<LaunchResult>
  /** Closes the helper's stdin; the run stops and cleans up (exports the pool). */
  cancel(): void
}

export interface Launcher {
  /** What will be run, for display before it starts. */
  command(): readonly string[]
  run(job: Job, opts: { secret?: string; onEvent: (e: RunEvent) => void; onProtocolError?: (line: string) => void }): RunHandle
}

/**
 * Chooses the helper command: always pkexec on the installed wrapper when the app runs from a package
 * (Nix starts nixpkgs' Electron on the archive, so app.isPackaged is false there: the archive decides).
 */
export function helperCommand(o: { installedHelper: string | null; env: NodeJS.ProcessEnv; execPath: string; outMainDir: string }): string[] {
  if (o.installedHelper) return ['pkexec', o.installedHelper]
  const custom = o.env[HELPER_ENV]
  if (custom) {
    let argv: unknown
    try {
      argv = JSON.parse(custom)
    } catch {
      throw new Error(`${HELPER_ENV} must be a JSON array of strings, e.g. ["sudo","-n","node","out/main/helper.js"]`)
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && a.length > 0)) {
      throw new Error(`${HELPER_ENV} must be a non-empty JSON array of strings`)
    }
    return argv as string[]
  }
  // Unpackaged Electron: run its bundled Node on the built helper. pkexec clears the environment, hence env(1).
  return ['pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', o.execPath, join(o.outMainDir, 'helper.js')]
}

/** pkexec on PATH, else where distributions and NixOS put it (a desktop-started app may have a short PATH). */
export function resolvePkexec(path: string | undefined, fallbackDirs: readonly string[] = PKEXEC_DIRS): string | null {
  return which('pkexec', path) ?? (fallbackDirs.length ? which('pkexec', fallbackDirs.join(':')) : null)
}

export const PKEXEC_DIRS = ['/run/wrappers/bin', '/usr/bin', '/bin'] as const

/**
 * pkexec's failures before the helper ran: 126 = the dialog was dismissed; 127 = not authorized, no
 * agent, or it could not run the program. Its stderr says which.
 */
export function mapPkexecFailure(exitCode: number | null, stderr: string): LaunchError {
  if (/Request dismissed/i.test(stderr) || (exitCode === 126 && !/Not authorized|authentication agent/i.test(stderr))) {
    return { code: 'auth-dismissed', message: 'The password prompt was dismissed, so nothing was run.', hint: 'Try again and enter your password when asked.' }
  }
  if (/No authentication agent found|no polkit agent|authentication agent/i.test(stderr)) {
    return {
      code: 'auth-no-agent',
      message: 'No polkit authentication agent is running in your session, so nothing can ask for your password.',
      hint: 'Start your desktop\'s polkit agent (for example polkit-gnome-authentication-agent-1, polkit-kde-authentication-agent-1 or lxpolkit) and try again.',
    }
  }
  if (/Not authorized/i.test(stderr)) {
    return {
      code: 'auth-not-authorized',
      message: 'You are not allowed to run the backup helper as root.',
      hint: 'Use an administrator account, or ask an administrator to allow the polkit action io.github.zfsdrivebackup.helper.',
    }
  }
  if (/Cannot run program|No such file or directory|not found/i.test(stderr)) {
    return { code: 'helper-missing', message: `The backup helper could not be started: ${lastLine(stderr)}`, hint: 'Reinstall the app: its package installs the helper and its polkit action.' }
  }
  if (exitCode === 126 || exitCode === 127) {
    return { code: 'auth-failed', message: `Authorization failed${stderr.trim() ? `: ${lastLine(stderr)}` : ''}.` }
  }
  return { code: 'helper-crashed', message: `The backup helper stopped without a result (exit ${exitCode ?? 'signal'})${stderr.trim() ? `: ${lastLine(stderr)}` : ''}.` }
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).at(-1)?.slice(0, 300) ?? ''
}

export interface PkexecLauncherOptions {
  /** From helperCommand(). A leading "pkexec" is resolved on PATH. */
  command: readonly string[]
  /** PATH and environment for the child (tests put a fake pkexec first on PATH). */
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Bytes; a longer stdout line is a protocol error and is skipped. */
  maxLine?: number
  /** Where to look for pkexec when it is not on PATH (tests pass []). */
  fallbackDirs?: readonly string[]
}

export class PkexecLauncher implements Launcher {
  constructor(private readonly opts: PkexecLauncherOptions) {}

  command(verb?: Job['verb']): readonly string[] {
    const [first, ...rest] = verb && SETUP_VERBS.has(verb) ? setupCommandFor(this.opts.command) : this.opts.command
    if (first === 'pkexec') return [resolvePkexec((this.opts.env ?? process.env).PATH, this.opts.fallbackDirs) ?? 'pkexec', ...rest]
    return [first!, ...rest]
  }

  run(job: Job, opts: { secret?: string; onEvent: (e: RunEvent) => void; onProtocolError?: (line: string) => void }): RunHandle {
    const argv = this.command(job.verb)
    const [file, ...args] = argv
    if (this.opts.command[0] === 'pkexec' && file === 'pkexec') {
      const error: LaunchError = { code: 'pkexec-missing', message: 'pkexec is not installed, so the app cannot ask for your password.', hint: 'Install polkit (Debian/Ubuntu: sudo apt install pkexec polkitd; NixOS: security.polkit.enable = true).' }
      return { command: argv, done: Promise.resolve({ exitCode: null, outcome: null, error, helperRan: false }), cancel: () => undefined }
    }
    const child = execa(file!, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      buffer: { stdout: false, stderr: true },
      ...(this.opts.env ? { env: this.opts.env, extendEnv: false } : {}),
      ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
    })
    let outcome: Outcome | null = null
    let helperRan = false
    let buf = ''
    const max = this.opts.maxLine ?? 1024 * 1024
    const onLine = (line: string): void => {
      if (!line.trim()) return
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        opts.onProtocolError?.(line)
        return
      }
      const e = RunEvent.safeParse(parsed)
      if (!e.success) {
        opts.onProtocolError?.(line)
        return
      }
      helperRan = true
      if (e.data.type === 'run-finished') outcome = e.data.outcome
      opts.onEvent(e.data)
    }
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl))
        buf = buf.slice(nl + 1)
      }
      if (buf.length > max) {
        opts.onProtocolError?.(buf.slice(0, 200))
        buf = ''
      }
    })
    // The helper may exit (or pkexec refuse) before reading everything: a broken pipe is not an error here.
    child.stdin!.on('error', () => undefined)
    child.stdin!.write(JSON.stringify(job) + '\n')
    if (opts.secret !== undefined) child.stdin!.write(opts.secret + '\n')

    const done = (async (): Promise<LaunchResult> => {
      const r = await child
      if (buf) onLine(buf)
      const exitCode = typeof r.exitCode === 'number' ? r.exitCode : null
      if (helperRan) return { exitCode, outcome, error: null, helperRan }
      if (r.failed && (r as { code?: string }).code === 'ENOENT') {
        return { exitCode, outcome, helperRan, error: { code: 'helper-missing', message: `${file} was not found.`, hint: `Check ${HELPER_ENV} or reinstall the app.` } }
      }
      return { exitCode, outcome, helperRan, error: mapPkexecFailure(exitCode, String(r.stderr ?? '')) }
    })()
    return { command: argv, done, cancel: () => child.stdin?.end() }
  }
}
