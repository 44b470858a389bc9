// The backup-on-plug service's run, with the drive's backup failing early (no ZFS on this host, or not
// root): what the user finds afterwards in their history, whether their desktop was told, and that a run
// that lost the lock to another one leaves no trace.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { runHeadless, type HeadlessDeps } from '../../../main/cli/headless'
import { EXIT } from '../../../main/cli/command'
import { enableAuto, type AutoPaths } from '../../../main/engine/auto'
import { acquireLock } from '../../../main/engine/lock'
import type { CommandResult, Runner } from '../../../main/system/runner'

const GUID = '13251836079750056283'
const uid = process.getuid?.() ?? 0

function setup(drive: Record<string, unknown> = { autoBackup: true }) {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-headless-'))
  const paths: AutoPaths = { rulesDir: join(dir, 'rules.d'), unitDir: join(dir, 'system'), instanceDir: join(dir, 'auto') }
  const configPath = join(dir, 'config.json')
  const historyPath = join(dir, 'history.jsonl')
  writeFileSync(configPath, JSON.stringify({ version: 1, sources: [{ dataset: 'rpool/home' }], drives: [{ name: 'T7', pool: 'backup', poolGuid: GUID, disk: '/dev/disk/by-id/usb-Samsung_T7_1', targets: { 'rpool/home': 'backup/home' }, ...drive }] }), { mode: 0o600 })
  const runner: Runner = {
    run: async (argv): Promise<CommandResult> => ({ argv, exitCode: 0, stdout: argv[0] === 'getent' ? `eds:x:${uid}:${uid}:Eds:/home/eds:/bin/sh\n` : '', stderr: '', durationMs: 0 }),
  }
  const out: string[] = []
  const held: string[] = []
  const deps = {
    runner, paths, lockPath: join(dir, 'run.lock'),
    notify: vi.fn(async () => true),
    drop: vi.fn(),
    liveFeed: () => null,
    holdSleep: async (why: string) => (held.push(why), async () => void held.push('released')),
  } satisfies HeadlessDeps
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), isTty: false }
  const run = async () => {
    await enableAuto({ paths, runner, instance: { version: 1, uid, poolGuid: GUID, drive: 'T7', configPath, historyPath }, command: ['/usr/bin/node', '/cli.js'], environment: {}, systemctl: '/usr/bin/systemctl' })
    return runHeadless(`${uid}-${GUID}`, io, new AbortController().signal, deps)
  }
  const history = () => (existsSync(historyPath) ? readFileSync(historyPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [])
  return { run, deps, out, held, history, lockPath: deps.lockPath }
}

describe('a headless run', () => {
  it('that fails is in the user history as headless, with whether the desktop was told; sleep was held and released', async () => {
    const t = setup()
    expect(await t.run()).toBe(EXIT.failed)
    const [rec] = t.history()
    expect(rec).toMatchObject({ verb: 'backup', drive: 'T7', outcome: 'failed', headless: true, notified: true })
    expect(t.deps.notify).toHaveBeenCalledWith(expect.objectContaining({ uid, home: '/home/eds' }), 'T7', rec.error.message)
    expect(t.deps.drop).toHaveBeenCalledBefore(t.deps.notify)
    expect(t.held).toEqual(['Backing up to T7', 'released'])
    expect(t.out.join('')).toMatch(/T7 plugged in: backing up for eds/)
  })

  it('does nothing when the drive\'s autoBackup is off in the config', async () => {
    const t = setup({ autoBackup: false })
    expect(await t.run()).toBe(EXIT.ok)
    expect(t.history()).toEqual([])
    expect(t.held).toEqual([])
    expect(t.out.join('')).toMatch(/off for “T7”/)
  })

  it.skipIf(uid !== 0)('that finds another run holding the lock leaves no history and tells nobody', async () => {
    const t = setup()
    const lock = acquireLock(t.lockPath, 'backup to T7')
    try {
      expect(await t.run()).toBe(EXIT.busy)
    } finally {
      lock.release()
    }
    expect(t.history()).toEqual([])
    expect(t.deps.notify).not.toHaveBeenCalled()
  })

  it('that cannot even start (the config no longer has the drive) is a failed run in the history and told, like any other', async () => {
    const t = setup({ poolGuid: '1' })
    expect(await t.run()).toBe(EXIT.usage)
    const [rec] = t.history()
    expect(rec).toMatchObject({ verb: 'backup', drive: 'T7', outcome: 'failed', headless: true, notified: true, error: { code: 'drive-unknown', hint: expect.stringContaining('auto disable') } })
    expect(t.deps.notify).toHaveBeenCalledWith(expect.objectContaining({ uid }), 'T7', expect.stringContaining('no drive with pool GUID'))
    expect(t.held).toEqual([])
  })

  it('refuses an instance name that is not <uid>-<guid>', async () => {
    const t = setup()
    expect(await runHeadless('../etc', { out: () => undefined, err: () => undefined, isTty: false }, new AbortController().signal, t.deps)).toBe(EXIT.usage)
  })
})
