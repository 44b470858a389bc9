// Helpers for the drive lifecycle VM tests: collecting a pipeline's events, a runner that refuses to run
// anything destructive (for refusal tests), and corrupting a drive image behind ZFS's back.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import type { Emit, RunEvent } from '../../../main/engine/events'
import { RunEvent as RunEventSchema } from '../../../main/engine/events'
import type { Outcome } from '../../../main/engine/pipeline'
import { ExecaRunner, type Runner } from '../../../main/system/runner'

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
  const real = new ExecaRunner()
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

/** Overwrites 4 KiB in `count` MiB chunks that hold data, away from the labels at both ends (as the guide test). */
export function corrupt(image: string, count: number): number {
  const fd = openSync(image, 'r+')
  const MiB = 1024 * 1024
  const size = fstatSync(fd).size
  const probe = Buffer.alloc(64 * 1024)
  const candidates: number[] = []
  for (let off = 8 * MiB; off + MiB <= size - 8 * MiB; off += MiB) {
    readSync(fd, probe, 0, probe.length, off)
    for (let b = 0; b < probe.length; b += 4096) {
      if (probe.subarray(b, b + 4096).some((x) => x !== 0)) {
        candidates.push(off + b)
        break
      }
    }
  }
  const step = Math.max(1, Math.floor(candidates.length / count))
  let hit = 0
  for (let i = 0; i < candidates.length && hit < count; i += step, hit++) writeSync(fd, randomBytes(4096), 0, 4096, candidates[i]!)
  closeSync(fd)
  return hit
}
