// A failed transfer in a user's words: a full drive gets its partial receive discarded and says what was
// needed and what is free; the tools' own lines go to the record, never into the headline; the hint only
// promises a resume when the drive holds a partial copy. Output captured in the VM (fixtures/zfs/full).
import { describe, expect, it } from 'vitest'
import { DriveFullError, transferFailure } from '../../../main/engine/transfer-failure'
import { EngineError } from '../../../main/engine/errors'
import type { StepContext } from '../../../main/engine/pipeline'
import { CommandError, PipeError, type CommandResult } from '../../../main/system/runner'
import { fixture } from '../system/fixtures'

function ctxWith(reply: (argv: readonly string[], n: number) => string): { ctx: StepContext; ran: string[][] } {
  const ran: string[][] = []
  const ctx: StepContext = {
    runner: { run: async (argv): Promise<CommandResult> => { ran.push([...argv]); return { argv, exitCode: 0, stdout: reply(argv, ran.length), stderr: '', durationMs: 1 } } },
    signal: new AbortController().signal, progress: () => undefined, info: () => undefined, warn: () => undefined, emit: () => undefined, fail: () => undefined,
  }
  return { ctx, ran }
}

const pipeError = (name: string): PipeError => new PipeError({
  send: { argv: ['zfs', 'send', '-w', '-v', '-P', '-I', 'ftank/home@a', 'ftank/home@b'], pid: 1, exitCode: 1, signal: null, stderr: fixture(`full/${name}.send.stderr.txt`) },
  receive: { argv: ['zfs', 'receive', '-s', '-u', 'fsmall/home'], pid: 2, exitCode: 1, signal: null, stderr: fixture(`full/${name}.receive.stderr.txt`) },
  durationMs: 10,
}, false)

const failed = { source: 'ftank/home', target: 'fsmall/home', what: '@b', neededBytes: 150_000_000 }

describe('a full drive', () => {
  it('discards the partial receive, then says what the transfer needed and what the drive has free', async () => {
    // zfs get before the abort (a token, nothing free), then after it (the space is back).
    const { ctx, ran } = ctxWith((argv, n) => (argv[1] === 'get' ? fixture(n === 1 ? 'full/zfs-get-after-enospc.txt' : 'full/zfs-get-after-abort.txt') : ''))
    const err = await transferFailure(ctx, pipeError('receive-enospc-incremental'), failed)
    expect(err).toBeInstanceOf(DriveFullError)
    const e = err as DriveFullError
    expect(e.code).toBe('drive-full')
    expect(ran).toContainEqual(['zfs', 'receive', '-A', 'fsmall/home'])
    expect(e.message).toBe('The drive is full: @b needs about 143.1 MiB, and the drive has 26.6 MiB free. The partial copy was discarded (zfs receive -A fsmall/home), so its space is free again.')
    expect(e.freeBytes).toBe(27873280)
    // The headline is the sentence; zfs's and the send's own lines are kept for the record.
    expect(e.message).not.toMatch(/cannot receive|mbuffer|CRITICAL/)
    expect(e.outputs.map((o) => o.argv[1])).toEqual(['send', 'receive'])
    expect(e.outputs[1]!.output).toEqual(['cannot receive incremental stream: out of space'])
  })

  it('under syncoid too: zfs\'s sentence on its stdout, never mbuffer\'s broken pipe as the message', async () => {
    const { ctx } = ctxWith((argv) => (argv[1] === 'get' ? fixture('full/zfs-get-after-abort.txt') : ''))
    const err = new CommandError(['syncoid', 'ftank/two', 'fsmall/two'], 2, fixture('full/syncoid-enospc.stderr.txt'), false, fixture('full/syncoid-enospc.txt'))
    const e = await transferFailure(ctx, err, { ...failed, target: 'fsmall/home' }) as EngineError
    expect(e.code).toBe('drive-full')
    expect(e.message).not.toMatch(/mbuffer|syncoid line/)
    expect(e.outputs[0]!.output.join('\n')).toMatch(/CRITICAL ERROR/)
  })
})

describe('any other failure of a transfer tool', () => {
  it('is a sentence about the drive or the data, and promises a resume only when a partial copy is there', async () => {
    const unknown = new CommandError(['zfs', 'receive', '-s', '-u', 'fsmall/home'], 1, 'zfs: something nobody has seen before')
    const none = await transferFailure(ctxWith(() => fixture('full/zfs-get-after-abort.txt')).ctx, unknown, failed) as EngineError
    expect(none.message).toBe('Sending @b from ftank/home to the drive failed.')
    expect(none.hint).toMatch(/nothing of this transfer stayed on it/)
    expect(none.hint).not.toMatch(/resume|continues/)
    const partial = await transferFailure(ctxWith(() => fixture('full/zfs-get-after-enospc.txt')).ctx, unknown, failed) as EngineError
    expect(partial.hint).toMatch(/the next run checks that partial copy and continues it/)
  })

  it('a target changed on the drive keeps its own sentence, and a cancel passes through as it is', async () => {
    const { ctx } = ctxWith(() => '')
    const diverged = new CommandError(['zfs', 'receive'], 1, fixture('native/receive-diverged.receive.stderr.txt'))
    expect(await transferFailure(ctx, diverged, failed)).toMatchObject({ code: 'target-modified' })
    const cancelled = new CommandError(['zfs', 'receive'], null, '', true)
    expect(await transferFailure(ctx, cancelled, failed)).toBe(cancelled)
  })
})
