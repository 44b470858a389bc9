// Helpers for the drive lifecycle VM tests: collecting a pipeline's events, a runner that refuses to run
// anything destructive (for refusal tests).
import type { Emit, RunEvent } from '../../../shared/events'
import { RunEvent as RunEventSchema } from '../../../shared/events'
import type { Outcome } from '../../../main/engine/pipeline'
import { ProcessRunner, type Runner } from '../../../main/system/runner'

export interface Ran {
  outcome: Outcome
  events: RunEvent[]
  commands: string[][]
  error: Extract<RunEvent, { type: 'error' }> | undefined
  notes: Record<string, string | undefined>
  infos: string[]
}

export async function collect(start: (emit: Emit) => Promise<Outcome>, onEvent?: (e: RunEvent) => void): Promise<Ran> {
  const events: RunEvent[] = []
  const outcome = await start((e) => {
    RunEventSchema.parse(e)
    events.push(e)
    onEvent?.(e)
  })
  return {
    outcome,
    events,
    commands: events.flatMap((e) => (e.type === 'command' ? [e.argv] : [])),
    error: events.find((e): e is Extract<RunEvent, { type: 'error' }> => e.type === 'error'),
    notes: Object.fromEntries(events.flatMap((e) => (e.type === 'step-finished' ? [[e.step, e.note]] : []))),
    infos: events.flatMap((e) => (e.type === 'info' ? [e.message] : [])),
  }
}

export const isDestructive = (a: readonly string[]): boolean =>
  ['blkdiscard', 'wipefs', 'parted', 'partprobe', 'sgdisk', 'mkfs'].includes(a[0] ?? '') || (a[0] === 'zpool' && ['create', 'labelclear', 'destroy'].includes(a[1] ?? ''))

/** Runs everything but refuses destructive commands: a refusal test must never get that far. */
export function guardedRunner(): Runner & { blocked: string[][] } {
  const real = new ProcessRunner()
  const blocked: string[][] = []
  return {
    blocked,
    run(argv, options) {
      if (isDestructive(argv)) {
        blocked.push([...argv])
        throw new Error(`destructive command in a refusal test: ${argv.join(' ')}`)
      }
      return real.run(argv, options)
    },
  }
}

