// The one way this app runs a program: an argv array (never a shell string), recorded so every step can
// show the exact command it ran. Secrets only ever travel on stdin (`input`), which is never recorded.
import { spawnSync } from 'node:child_process'
import { execa } from 'execa'

export interface CommandResult {
  argv: readonly string[]
  exitCode: number
  stdout: string
  stderr: string
  durationMs: number
}

export interface RunOptions {
  /** Written to stdin, e.g. a passphrase for `zfs load-key`. Never logged. */
  input?: string
  timeoutMs?: number
  signal?: AbortSignal
  /** Don't throw on a non-zero exit; the caller reads exitCode. */
  allowFailure?: boolean
  onStdoutLine?: (line: string) => void
  onStderrLine?: (line: string) => void
  env?: Record<string, string>
  /**
   * Run in its own process group and signal the whole group on cancel. syncoid is a perl script that
   * starts `zfs send | pv | zfs receive` through a shell: killing only perl would leave the pipe running
   * and the pool busy.
   */
  group?: boolean
}

export type CommandListener = (argv: readonly string[]) => void

export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly cancelled = false,
    /** Some tools (syncoid's receive pipeline ends in 2>&1) report errors on stdout. */
    readonly stdout = '',
  ) {
    const detail = stderr.trim().split('\n').slice(-3).join(' / ')
    super(`${argv.join(' ')} ${cancelled ? 'was cancelled' : `failed (exit ${exitCode})`}${detail ? `: ${detail}` : ''}`)
  }
}

/** Quotes an argv for display only (history, UI); it is never executed as a string. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

export class ExecaRunner implements Runner {
  private listeners = new Set<CommandListener>()

  onCommand(listener: CommandListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const [file, ...args] = argv
    if (!file) throw new Error('empty command')
    for (const l of this.listeners) l(argv)
    const started = Date.now()
    const child = execa(file, args, {
      reject: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : 'pipe',
      timeout: options.timeoutMs,
      env: { LC_ALL: 'C', ...options.env },
      stripFinalNewline: false,
      detached: options.group ?? false,
    })
    let cancelled = false
    const cancel = (): void => {
      cancelled = true
      if (options.group && child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM')
        } catch {
          // the group is already gone
        }
      } else child.kill('SIGTERM')
    }
    if (options.signal?.aborted) cancel()
    options.signal?.addEventListener('abort', cancel, { once: true })
    if (options.onStdoutLine) lines(child.stdout!, options.onStdoutLine)
    if (options.onStderrLine) lines(child.stderr!, options.onStderrLine)
    const r = await child
    options.signal?.removeEventListener('abort', cancel)
    const result: CommandResult = {
      argv,
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      durationMs: Date.now() - started,
    }
    if (cancelled) throw new CommandError(argv, r.exitCode ?? null, result.stderr, true)
    if (r.failed && typeof r.exitCode !== 'number') throw new CommandError(argv, null, `${r.shortMessage ?? ''}\n${result.stderr}`)
    if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(argv, result.exitCode, result.stderr, false, result.stdout)
    return result
  }
}

/** Splits a stream into lines, treating \r as a line end too (pv and progress meters redraw with \r). */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buf += chunk
    const parts = buf.split(/\r\n|\r|\n/)
    buf = parts.pop() ?? ''
    for (const p of parts) onLine(p)
  })
  stream.on('end', () => buf && onLine(buf))
}

/**
 * Runs a short command synchronously with one open descriptor of ours as its fd 3 (the run lock's
 * flock(1)). Synchronous so a lock is either taken or refused before anything else of the run starts.
 */
export function runSyncWithFd(argv: readonly string[], fd: number): { exitCode: number | null; stderr: string } {
  const [file, ...args] = argv
  if (!file) throw new Error('empty command')
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe', fd], env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8', timeout: 10_000 })
  if (r.error) throw r.error
  return { exitCode: r.status, stderr: r.stderr ?? '' }
}
