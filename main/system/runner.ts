// The one way this app runs a program: an argv array (never a shell string), recorded so every step can
// show the exact command it ran. Secrets only ever travel on stdin (`input`), which is never recorded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync } from 'node:fs'
import { openFifo, type OsPipe } from './fifo'

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
  /**
   * Stop waiting after this long. A command on a drive that vanished can sleep in the kernel for good
   * (no signal reaches it): the run must go on and say which command did not return. Throws
   * StuckCommandError and leaves the process behind, killed and no longer waited for.
   */
  deadlineMs?: number
}

/** After a cancel, how long a command may take to exit before it counts as stuck. */
export const STUCK_AFTER_CANCEL_MS = 15_000

export type CommandListener = (argv: readonly string[]) => void

export interface PipeOptions {
  signal?: AbortSignal
  /** Each stderr line of the sending side, as it comes (zfs send -v -P prints its progress there). */
  onSendStderrLine?: (line: string) => void
  onReceiveStderrLine?: (line: string) => void
  /** How much of each side's stderr is kept (its tail) for results and errors. */
  stderrLimit?: number
  /** Time between SIGTERM and SIGKILL when cancelling. */
  killGraceMs?: number
  /** Told each command the pipe itself runs to join the two (mkfifo), so a run can show it. */
  onCommand?: (argv: readonly string[]) => void
  /** After a cancel, how long both sides may take to exit before they count as stuck (STUCK_AFTER_CANCEL_MS). */
  stuckAfterMs?: number
}

export interface PipeSide {
  argv: readonly string[]
  pid: number | undefined
  /** null when killed by a signal. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The last `stderrLimit` bytes of its stderr. */
  stderr: string
}

export interface PipeResult {
  send: PipeSide
  receive: PipeSide
  durationMs: number
  /** Pids of sides that did not exit after the cancel (asleep in the kernel on a vanished drive). */
  stuck?: number[]
}

export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>
  /**
   * Runs `send | receive` with one OS pipe between the two children: the sender's stdout is the
   * receiver's stdin and no byte passes through this process. Optional so read-only fakes need not
   * implement it; the replication step refuses a runner without it.
   */
  pipe?(send: readonly string[], receive: readonly string[], options?: PipeOptions): Promise<PipeResult>
  /**
   * Makes the next pipe's FIFO now, so its mkfifo runs while the caller waits on other commands; the
   * next pipe() takes it. `discardPrepared` closes one no pipe took.
   */
  preparePipe?(onCommand?: (argv: readonly string[]) => void): void
  discardPrepared?(): void
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

/** A command that did not return in time (or did not exit after a cancel) and was left behind. */
export class StuckCommandError extends CommandError {
  constructor(
    argv: readonly string[],
    readonly pid: number | undefined,
    readonly waitedMs: number,
    readonly afterCancel: boolean,
  ) {
    super(argv, null, '')
    this.message = `${displayCommand(argv)} did not ${afterCancel ? 'exit' : 'return'} within ${Math.round(waitedMs / 1000)} s${afterCancel ? ' of being stopped' : ''}${pid ? ` (pid ${pid})` : ''}`
  }
}

/** A `send | receive` pipe that failed or was cancelled; argv shows both commands. */
export class PipeError extends CommandError {
  constructor(
    readonly result: PipeResult,
    cancelled: boolean,
  ) {
    const failed = [result.receive, result.send].find((s) => s.exitCode !== 0) ?? result.receive
    super([...result.send.argv, '|', ...result.receive.argv], failed.exitCode, `${result.send.stderr}\n${result.receive.stderr}`.trim(), cancelled)
  }
}

/** Quotes an argv for display only (history, UI); it is never executed as a string. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

export class ProcessRunner implements Runner {
  private listeners = new Set<CommandListener>()
  private prepared: Promise<OsPipe | null> | null = null

  onCommand(listener: CommandListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  preparePipe(onCommand?: (argv: readonly string[]) => void): void {
    this.prepared ??= this.makeFifo(onCommand)
  }

  discardPrepared(): void {
    void this.prepared?.then((f) => f && (closeSync(f.read), closeSync(f.write)))
    this.prepared = null
  }

  private makeFifo(onCommand?: (argv: readonly string[]) => void): Promise<OsPipe | null> {
    return openFifo((argv) => {
      for (const l of this.listeners) l(argv)
      onCommand?.(argv)
    })
  }

  async pipe(send: readonly string[], receive: readonly string[], options: PipeOptions = {}): Promise<PipeResult> {
    const prepared = this.prepared
    this.prepared = null
    const fifo = await (prepared ?? this.makeFifo(options.onCommand))
    for (const l of this.listeners) {
      l(send)
      l(receive)
    }
    return runPipe(send, receive, options, fifo)
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const [file, ...args] = argv
    if (!file) throw new Error('empty command')
    for (const l of this.listeners) l(argv)
    const started = Date.now()
    const child = spawn(file, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', ...options.env },
      detached: options.group ?? false,
    })
    const ended = collect(child, options)
    let cancelled = false
    let giveUp: (afterCancel: boolean) => void = () => undefined
    const stuck = new Promise<never>((_, reject) => {
      giveUp = (afterCancel) => {
        child.kill('SIGKILL')
        letGo(child)
        reject(new StuckCommandError(argv, child.pid, Date.now() - started, afterCancel))
      }
    })
    const deadline = options.deadlineMs ? setTimeout(() => giveUp(false), options.deadlineMs) : undefined
    let afterCancel: NodeJS.Timeout | undefined
    const cancel = (): void => {
      cancelled = true
      afterCancel = setTimeout(() => giveUp(true), STUCK_AFTER_CANCEL_MS)
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
    let r: Collected
    try {
      r = await Promise.race([ended, stuck])
    } finally {
      clearTimeout(deadline)
      clearTimeout(afterCancel)
      options.signal?.removeEventListener('abort', cancel)
    }
    const result: CommandResult = { argv, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started }
    if (cancelled) throw new CommandError(argv, r.exitCode, result.stderr, true)
    if (r.exitCode === null) throw new CommandError(argv, null, `${r.why}\n${result.stderr}`)
    if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(argv, result.exitCode, result.stderr, false, result.stdout)
    return result
  }
}

/** How a command of `run` ended: its exit code, or null and why (not started, a signal, the timeout). */
interface Collected {
  exitCode: number | null
  why: string
  stdout: string
  stderr: string
}

/** Most output kept of a command; one that prints more is killed (nothing this app runs prints that much). */
const OUTPUT_LIMIT = 100 * 1024 * 1024

/** Gathers a child's output, feeds `input` to its stdin, enforces `timeoutMs`, and settles once it closed. */
function collect(child: ChildProcess, o: RunOptions): Promise<Collected> {
  const out = { stdout: '', stderr: '' }
  let size = 0
  let why = ''
  const stop = (reason: string, sig: NodeJS.Signals): void => {
    why ||= reason
    child.kill(sig)
  }
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]!.setEncoding('utf8')
    child[name]!.on('data', (chunk: string) => {
      out[name] += chunk
      if ((size += chunk.length) > OUTPUT_LIMIT) stop(`its output passed ${OUTPUT_LIMIT} characters`, 'SIGKILL')
    })
  }
  if (o.onStdoutLine) lines(child.stdout!, o.onStdoutLine)
  if (o.onStderrLine) lines(child.stderr!, o.onStderrLine)
  if (o.input !== undefined) {
    // A command that exits without reading its stdin must not crash us with EPIPE.
    child.stdin!.on('error', () => undefined)
    child.stdin!.end(o.input)
  }
  const timer = o.timeoutMs ? setTimeout(() => stop(`timed out after ${o.timeoutMs} ms`, 'SIGTERM'), o.timeoutMs) : undefined
  return new Promise((resolve) => {
    child.once('error', (err) => (why ||= err.message))
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const exitCode = why || code === null ? null : code
      resolve({ exitCode, why: why || `killed by ${signal ?? 'a signal'}`, ...out })
    })
  })
}

/** Stops waiting for a child: it no longer keeps this process alive, nor do its pipes. */
function letGo(child: ChildProcess): void {
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy()
}

/**
 * The pipe behind Runner.pipe. Given a FIFO (fifo.ts), the receiver gets its read end as stdin and the
 * sender its write end as stdout. Without one, the receiver is started with a stdin pipe (libuv makes it a
 * socketpair) and the sender gets the parent's end of it. Either way the parent then closes its own
 * copies, so the receiver sees EOF when the sender exits and the sender gets EPIPE when the receiver
 * dies. Nothing here ever reads or writes the stream.
 */
export function runPipe(send: readonly string[], receive: readonly string[], o: PipeOptions = {}, fifo: OsPipe | null = null): Promise<PipeResult> {
  const started = Date.now()
  const limit = o.stderrLimit ?? 64 * 1024
  const env = { ...process.env, LC_ALL: 'C' }
  const [rFile, ...rArgs] = receive
  const [sFile, ...sArgs] = send
  if (!rFile || !sFile) throw new Error('empty command')
  let recv: ChildProcess
  let sender: ChildProcess
  if (fifo) {
    try {
      recv = spawn(rFile, rArgs, { stdio: [fifo.read, 'ignore', 'pipe'], env })
      sender = spawn(sFile, sArgs, { stdio: ['ignore', fifo.write, 'pipe'], env })
    } finally {
      // Our copies of the ends: kept open, a receiver that died would leave the sender blocked (zfs#12500).
      closeSync(fifo.read)
      closeSync(fifo.write)
    }
  } else {
    recv = spawn(rFile, rArgs, { stdio: ['pipe', 'ignore', 'pipe'], env })
    try {
      sender = spawn(sFile, sArgs, { stdio: ['ignore', recv.stdin!, 'pipe'], env })
    } finally {
      recv.stdin!.destroy()
    }
  }
  const sides = [watch(sender, send, limit, o.onSendStderrLine), watch(recv, receive, limit, o.onReceiveStderrLine)] as const
  let cancelled = false
  let killTimer: NodeJS.Timeout | undefined
  const kill = (sig: NodeJS.Signals): void => {
    for (const child of [recv, sender]) {
      if (child.pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, sig)
        } catch {
          // already gone
        }
      }
    }
  }
  let giveUp: () => void = () => undefined
  const stuck = new Promise<PipeSide[]>((resolve) => {
    giveUp = () => {
      const left = [[sender, send], [recv, receive]] as const
      for (const [child] of left) if (child.exitCode === null && child.signalCode === null) letGo(child)
      resolve(left.map(([child, argv]) => ({ argv, pid: child.pid, exitCode: child.exitCode, signal: child.signalCode, stderr: '' })))
    }
  })
  let stuckTimer: NodeJS.Timeout | undefined
  const cancel = (): void => {
    cancelled = true
    kill('SIGTERM')
    killTimer = setTimeout(() => kill('SIGKILL'), o.killGraceMs ?? 5000)
    killTimer.unref?.()
    stuckTimer = setTimeout(giveUp, o.stuckAfterMs ?? STUCK_AFTER_CANCEL_MS)
    stuckTimer.unref?.()
  }
  // If one side fails to start or dies of a signal, the other must not wait for a peer that never comes.
  for (const s of sides) void s.done.then((side) => side.exitCode === null && side.signal === null && kill('SIGTERM'))
  if (o.signal?.aborted) cancel()
  o.signal?.addEventListener('abort', cancel, { once: true })
  return Promise.race([Promise.all([sides[0].done, sides[1].done]), stuck]).then(([sendSide, recvSide]) => {
    clearTimeout(killTimer)
    clearTimeout(stuckTimer)
    o.signal?.removeEventListener('abort', cancel)
    const stuckPids = [sendSide!, recvSide!].filter((x) => x.exitCode === null && x.signal === null && x.pid !== undefined).map((x) => x.pid!)
    const result: PipeResult = { send: sendSide!, receive: recvSide!, durationMs: Date.now() - started, ...(stuckPids.length ? { stuck: stuckPids } : {}) }
    if (cancelled || sendSide!.exitCode !== 0 || recvSide!.exitCode !== 0) throw new PipeError(result, cancelled)
    return result
  })
}

/** Follows one child of a pipe: its stderr (lines, plus a bounded tail) and how it ended. */
function watch(child: ChildProcess, argv: readonly string[], limit: number, onLine?: (line: string) => void): { done: Promise<PipeSide> } {
  let tail = ''
  let spawnError: Error | null = null
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-limit)
  })
  if (onLine) lines(child.stderr!, onLine)
  const done = new Promise<PipeSide>((resolve) => {
    child.once('error', (err) => {
      spawnError = err
    })
    child.once('close', (code, signal) => {
      const stderr = spawnError ? `${spawnError.message}\n${tail}` : tail
      resolve({ argv, pid: child.pid, exitCode: spawnError ? null : code, signal, stderr })
    })
  })
  return { done }
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
