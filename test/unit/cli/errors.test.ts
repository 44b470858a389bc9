// Bad input gets a sentence: every CLI failure is one line with a hint and a documented exit code, and
// with --json one error object on stdout; never a stack trace or an object dump.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../../main/cli/index'

const dir = mkdtempSync(join(tmpdir(), 'zdb-cli-'))
const config = join(dir, 'config.json')
writeFileSync(config, JSON.stringify({ version: 1, sources: [{ dataset: 'rpool/home' }], drives: [{ name: 'T7', pool: 'backup', poolGuid: '222', disk: '/dev/disk/by-id/usb-Samsung_T7_1', targets: { 'rpool/home': 'backup/home' } }] }), { mode: 0o600 })
const history = join(dir, 'history.jsonl')
writeFileSync(history, 'null\n', { mode: 0o600 })
const savedPath = process.env.PATH

async function cli(...argv: string[]) {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), isTty: false }, new AbortController().signal)
  return { code, out, err }
}
const oneLine = (s: string) => s.trim().split('\n').length === 1 && !/\n\s+at /.test(s)

afterEach(() => void (process.env.PATH = savedPath))

describe('one line, a hint and an exit code', () => {
  it('a config path that is a folder: exit 2, no stack trace', async () => {
    mkdirSync(join(dir, 'folder.json'))
    const r = await cli('status', '--config', join(dir, 'folder.json'))
    expect(r.code).toBe(2)
    expect(oneLine(r.err)).toBe(true)
    expect(r.err).toMatch(/folder/)
  })

  it('--json: the same failure as one error object on stdout, nothing on stderr', async () => {
    const r = await cli('status', '--json', '--config', join(dir, 'folder.json'))
    expect(r.err).toBe('')
    expect(JSON.parse(r.out)).toMatchObject({ type: 'error', code: expect.stringMatching(/config/), message: expect.any(String), exitCode: 2 })
  })

  it('an unknown command and an unknown option', async () => {
    const a = await cli('destroy')
    expect([a.code, oneLine(a.err)]).toEqual([2, true])
    expect(a.err).toMatch(/Unknown command "destroy".*--help/)
    const b = await cli('status', '--frobnicate', '--json')
    expect(JSON.parse(b.out)).toMatchObject({ type: 'error', code: 'usage', exitCode: 2 })
  })

  it('snapshots and diff without ZFS installed say so, not a CommandError dump', async () => {
    process.env.PATH = join(dir, 'empty-bin')
    for (const argv of [['diff', 'rpool/home@a', 'rpool/home@b'], ['snapshots']]) {
      const r = await cli(...argv, '--config', config, '--history', history)
      expect(r.code).toBe(1)
      expect(oneLine(r.err)).toBe(true)
      expect(r.err).toMatch(/^✗ zfs is not installed.*doctor/)
    }
  })

  it('a history line `null`: history and status warn and go on', async () => {
    process.env.PATH = join(dir, 'empty-bin')
    const h = await cli('history', '--config', config, '--history', history)
    expect(h.code).toBe(0)
    expect(h.err).toMatch(/skipped 1 damaged line/)
    const s = await cli('status', '--config', config, '--history', history)
    // The damaged line is no run: the drive was never backed up (status's documented exit 6).
    expect(s.code).toBe(6)
    expect(s.out).toMatch(/^T7 \(pool backup\)/)
  })

  it('a drive name that is not configured: exit 2 with the known names', async () => {
    const r = await cli('status', '--drive', 'Nope', '--config', config, '--history', history, '--json')
    expect(JSON.parse(r.out)).toMatchObject({ type: 'error', code: 'drive-unknown', message: expect.stringMatching(/known: T7/), exitCode: 2 })
  })
})
