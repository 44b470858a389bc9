// Runs a pipeline's steps in order and turns what happens into RunEvents. Steps marked `always` (export,
// releasing holds) still run after a failure or a cancel, so a drive is never left imported by accident.
import { randomUUID } from 'node:crypto'
import type { Config } from '../config/schema'
import { unwrapDieWithParent } from '../system/setpriv'
import { CommandError, PipeError, StuckCommandError, type PipeOptions, type Runner, type RunOptions } from '../system/runner'
import { EngineError, type CommandOutput } from './errors'
import type { Emit, Progress, RunEvent, Verb } from '../../shared/events'

export interface StepContext {
  /** Runs commands on behalf of this step: each one is reported before it starts. */
  runner: Runner
  signal: AbortSignal
  progress(p: Progress): void
  info(message: string): void
  warn(code: string, message: string): void
  emit: Emit
  /**
   * Fails the run from outside the step that is running (a watcher saw the drive go): that step is
   * stopped as a cancel would stop it, and the run fails with `err`. Cleanup steps still run.
   */
  fail(err: EngineError): void
}

export type StepResult = void | { skipped: string } | { note: string }

export interface Step<S> {
  id: string
  title: string
  /** Runs even when an earlier step failed or the run was cancelled (cleanup). */
  always?: boolean
  run(ctx: StepContext, state: S): Promise<StepResult>
}

/** What every pipeline on one configured drive takes. */
export interface DriveRunOptions {
  config: Config
  /** Needed when several drives are configured. */
  driveName?: string
  runner: Runner
  emit: Emit
  signal: AbortSignal
  lockPath?: string
}

export type Outcome = Extract<RunEvent, { type: 'run-finished' }>['outcome']

export interface PipelineOptions<S> {
  verb: Verb
  drive: string | null
  steps: Step<S>[]
  state: S
  runner: Runner
  emit: Emit
  signal: AbortSignal
}

const now = (): string => new Date().toISOString()

export async function runPipeline<S>(o: PipelineOptions<S>): Promise<Outcome> {
  const started = Date.now()
  let outcome: Outcome = 'succeeded'
  let bytes = 0
  const failing = new AbortController()
  const fail = (err: EngineError): void => {
    if (!failing.signal.aborted) failing.abort(err)
  }
  o.emit({ type: 'run-started', runId: randomUUID(), verb: o.verb, drive: o.drive, steps: o.steps.map(({ id, title }) => ({ id, title })), at: now() })

  for (const [index, step] of o.steps.entries()) {
    if (outcome === 'succeeded' && failing.signal.aborted) outcome = failedFromOutside(o, failing.signal, step.id)
    if (outcome === 'succeeded' && o.signal.aborted) outcome = 'cancelled'
    if (outcome !== 'succeeded' && !step.always) {
      o.emit({ type: 'step-finished', step: step.id, outcome: 'skipped', durationMs: 0, note: outcome === 'cancelled' ? 'cancelled' : 'an earlier step failed' })
      continue
    }
    // Cleanup must not inherit the cancel: exporting the pool is the point of running it.
    const signal = step.always ? new AbortController().signal : AbortSignal.any([o.signal, failing.signal])
    const t0 = Date.now()
    o.emit({ type: 'step-started', step: step.id, index, at: now() })
    const ctx: StepContext = {
      signal,
      runner: {
        run: (argv: readonly string[], options: RunOptions = {}) => {
          o.emit({ type: 'command', step: step.id, argv: [...argv] })
          return o.runner.run(argv, { ...options, signal: options.signal ?? signal })
        },
        ...(o.runner.pipe
          ? {
              pipe: (send: readonly string[], receive: readonly string[], options: PipeOptions = {}) => {
                o.emit({ type: 'command', step: step.id, argv: [...send] })
                o.emit({ type: 'command', step: step.id, argv: [...receive] })
                const onCommand = (argv: readonly string[]): void => o.emit({ type: 'command', step: step.id, argv: [...argv] })
                return o.runner.pipe!(send, receive, { onCommand, ...options, signal: options.signal ?? signal })
              },
            }
          : {}),
        ...(o.runner.preparePipe
          ? {
              preparePipe: () => o.runner.preparePipe!((argv) => o.emit({ type: 'command', step: step.id, argv: [...argv] })),
              discardPrepared: () => o.runner.discardPrepared?.(),
            }
          : {}),
      },
      progress: (p) => {
        bytes = Math.max(bytes, p.bytes)
        o.emit({ type: 'progress', step: step.id, ...p })
      },
      info: (message) => o.emit({ type: 'info', step: step.id, message }),
      warn: (code, message) => o.emit({ type: 'warning', code, message }),
      emit: o.emit,
      fail,
    }
    try {
      const result = await step.run(ctx, o.state)
      const skipped = result && 'skipped' in result
      o.emit({
        type: 'step-finished', step: step.id, outcome: skipped ? 'skipped' : 'ok', durationMs: Date.now() - t0,
        ...(result && 'skipped' in result ? { note: result.skipped } : result && 'note' in result ? { note: result.note } : {}),
      })
    } catch (err) {
      const fromOutside = !step.always && failing.signal.aborted && !o.signal.aborted
      const cancelled = !fromOutside && (signal.aborted || (err instanceof CommandError && err.cancelled && !(err instanceof StuckCommandError)))
      o.emit({ type: 'step-finished', step: step.id, outcome: cancelled ? 'cancelled' : 'failed', durationMs: Date.now() - t0 })
      if (fromOutside) {
        if (outcome === 'succeeded') outcome = failedFromOutside(o, failing.signal, step.id, err)
      } else if (cancelled) {
        if (outcome === 'succeeded') outcome = 'cancelled'
      } else {
        for (const out of commandOutputs(err)) o.emit({ type: 'command-output', step: step.id, ...out })
        o.emit(errorEvent(err, step.title))
        outcome = 'failed'
      }
    }
  }
  o.emit({ type: 'run-finished', outcome, durationMs: Date.now() - started, at: now(), bytes })
  return outcome
}

/** The run fails with what `fail` was given; what the stopped step's commands printed goes with it. */
function failedFromOutside<S>(o: PipelineOptions<S>, signal: AbortSignal, step: string, stepError?: unknown): Outcome {
  const reason = signal.reason as EngineError
  for (const out of [...commandOutputs(stepError), ...reason.outputs]) o.emit({ type: 'command-output', step, ...out })
  const event = errorEvent(reason)
  const left = leftBehind(stepError)
  o.emit(event.type === 'error' && left ? { ...event, message: `${event.message} ${left}` } : event)
  return 'failed'
}

/** The step's commands that did not exit when stopped (asleep in the kernel, waiting for the drive). */
function leftBehind(err: unknown): string | null {
  const who = err instanceof PipeError && err.result.stuck?.length
    ? [err.result.send, err.result.receive].filter((x) => x.pid !== undefined && err.result.stuck!.includes(x.pid)).map((x) => `${commandName(x.argv)} (pid ${x.pid})`)
    : err instanceof StuckCommandError ? [`${commandName(err.argv)}${err.pid ? ` (pid ${err.pid})` : ''}`] : []
  if (!who.length) return null
  return `${who.join(' and ')} ${who.length > 1 ? 'are' : 'is'} still waiting for it in the kernel, and end${who.length > 1 ? '' : 's'} once it is back.`
}

/** `zfs receive`, without the setpriv wrapper and the arguments. */
function commandName(argv: readonly string[]): string {
  return unwrapDieWithParent(argv).slice(0, 2).join(' ')
}

/** The raw output behind a failure: an EngineError's own, or a failed command's stderr. */
function commandOutputs(err: unknown): CommandOutput[] {
  if (err instanceof EngineError) return err.outputs
  if (err instanceof CommandError) return [{ argv: [...err.argv], exitCode: err.exitCode, output: `${err.stderr}\n${err.stdout}`.split('\n').filter((l) => l.trim() !== '').slice(-40) }]
  return []
}

/** `step`: the title of the step that failed, named when a command of it did not return. */
function errorEvent(err: unknown, step?: string): RunEvent {
  if (err instanceof EngineError) {
    return { type: 'error', code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), ...(err.holders ? { holders: err.holders } : {}) }
  }
  if (err instanceof StuckCommandError) {
    return { type: 'error', code: 'drive-not-responding', message: `${step ? `${step}: ` : ''}${err.message}: the drive stopped answering.`, hint: 'Check that the drive is plugged in and powered. If it is, the command is stuck in the kernel and only a reboot ends it; the next run continues from where this one stopped.' }
  }
  if (err instanceof CommandError) return { type: 'error', code: 'command-failed', message: err.message }
  return { type: 'error', code: 'internal', message: err instanceof Error ? err.message : String(err) }
}
