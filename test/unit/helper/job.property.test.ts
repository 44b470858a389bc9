// Property-based: whatever arrives on the helper's stdin (random bytes, random JSON, jobs with hostile
// field values), the helper answers with exactly one valid `error` event and exit 2, or a well-formed
// run, and no command runs for a job it refused.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { dispatch, type DispatchTable } from '../../../main/helper/dispatch'
import { Job } from '../../../main/helper/job'
import { helperMain } from '../../../main/helper/main'
import { RunEvent } from '../../../shared/events'
import type { CommandResult, Runner } from '../../../main/system/runner'

vi.mock('electron', () => ({}))
vi.setConfig({ testTimeout: 60_000 })

const dir = mkdtempSync(join(tmpdir(), 'zdb-jobprop-'))
const configPath = join(dir, 'config.json')
writeFileSync(configPath, JSON.stringify({ version: 1, sources: [{ dataset: 'rpool/home' }], drives: [{ name: 'T7', pool: 'backup', poolGuid: '222', disk: '/dev/disk/by-id/usb-Samsung_T7_1', targets: { 'rpool/home': 'backup/home' } }] }))
chmodSync(configPath, 0o600)

// Every verb "runs" as a no-op that says it succeeded: a job that gets that far is one the schema let in.
const ran: string[] = []
const table = Object.fromEntries(Object.keys(dispatch).map((v) => [v, async () => (ran.push(v), 'succeeded' as const)])) as unknown as DispatchTable

async function feed(input: string) {
  const stdin = new PassThrough()
  const out: string[] = []
  const calls: string[][] = []
  const runner: Runner = { run: async (argv): Promise<CommandResult> => (calls.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) }
  const code = helperMain({ stdin, writeLine: (l) => out.push(l), env: {} }, { runner, dispatch: table, jobTimeoutMs: 200 })
  stdin.end(input)
  return { code: await code, out, calls }
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '-f', '--force', '../../etc/shadow', '/etc/shadow', 'backup; zpool destroy rpool', '$(reboot)', '`id`', 'a\nb', 'x\0y', 'T7', '/dev/sda', '/dev/disk/by-id/../../sda', 'backup', 'backup/home', configPath, '🙂'.repeat(30)),
)
const hostileValue = fc.oneof(hostileString, fc.integer(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }))
const verbs = Job.options.map((o) => o.shape.verb.value)
const jobLike = fc.record(
  { verb: fc.oneof(fc.constantFrom(...verbs), hostileString), configPath: fc.oneof(fc.constant(configPath), hostileString), drive: hostileValue, disk: hostileValue, name: hostileValue, confirm: hostileValue, pool: hostileValue, target: hostileValue, powerOff: hostileValue, extra: hostileValue },
  { requiredKeys: [] },
)
const line = fc.oneof(
  { weight: 4, arbitrary: jobLike.map((j) => JSON.stringify(j)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')) },
)

describe('the helper\'s job parser under random and hostile input', () => {
  it('answers every input with one valid error event and exit 2, or accepts only a job the schema allows', async () => {
    await fc.assert(
      fc.asyncProperty(line, fc.option(hostileString), async (first, second) => {
        ran.length = 0
        const r = await feed(`${first}\n${second === null ? '' : `${second}\n`}`)
        const events = r.out.map((l) => RunEvent.parse(JSON.parse(l)))
        if (ran.length === 0) {
          expect(r.code).toBe(2)
          expect(events).toHaveLength(1)
          expect(events[0]!.type).toBe('error')
          expect(r.calls).toEqual([])
        } else {
          expect(r.code).toBe(0)
          expect(Job.safeParse(JSON.parse(first)).success).toBe(true)
        }
      }),
      { numRuns: 400 },
    )
  })
})
