// The helper's job validation: everything malformed or unknown is refused with one error event and exit 2
// before a single command runs (a recording runner proves it), and a valid job streams events.
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { readJobConfig } from '../../../main/helper/config'
import { availableVerbs, dispatch, type DispatchTable } from '../../../main/helper/dispatch'
import { helperMain } from '../../../main/helper/main'
import { RunEvent } from '../../../shared/events'
import type { CommandResult, Runner } from '../../../main/system/runner'

vi.mock('electron', () => ({}))

const GUID = '16412717767768173259'
const dir = mkdtempSync(join(tmpdir(), 'zdb-helper-'))
const configPath = join(dir, 'config.json')
writeFileSync(configPath, JSON.stringify({
  version: 1, sources: [{ dataset: 'rpool/home' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: GUID, disk: '/dev/disk/by-id/usb-Samsung_T7_123', targets: { 'rpool/home': 'backup/home' } }],
}), { mode: 0o600 })
chmodSync(configPath, 0o600)

function recordingRunner(): Runner & { calls: string[][] } {
  const calls: string[][] = []
  return { calls, run: async (argv): Promise<CommandResult> => (calls.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) }
}

async function runHelper(lines: string[] | string, opts: { dispatch?: DispatchTable; keepOpen?: boolean; env?: NodeJS.ProcessEnv; passwdPath?: string } = {}) {
  const stdin = new PassThrough()
  const out: string[] = []
  const runner = recordingRunner()
  const code = helperMain({ stdin, writeLine: (l) => out.push(l), env: opts.env ?? {} }, { runner, jobTimeoutMs: 2000, ...(opts.dispatch ? { dispatch: opts.dispatch } : {}), ...(opts.passwdPath ? { passwdPath: opts.passwdPath } : {}) })
  stdin.write(typeof lines === 'string' ? lines : lines.map((l) => l + '\n').join(''))
  if (!opts.keepOpen) stdin.end()
  const events = () => out.map((l) => RunEvent.parse(JSON.parse(l)))
  return { code, out, events, runner, stdin }
}

const job = (over: Record<string, unknown> = {}) => JSON.stringify({ verb: 'backup', configPath, drive: 'T7', ...over })

describe('jobs the helper refuses before any command runs', () => {
  it.each([
    ['not JSON', 'zpool destroy backup', 'job-invalid'],
    ['an empty line', '', 'job-invalid'],
    ['JSON but not an object', '"backup"', 'job-unknown-verb'],
    ['an unknown verb', JSON.stringify({ verb: 'destroy', configPath, drive: 'T7' }), 'job-unknown-verb'],
    ['a verb that is a shell string', JSON.stringify({ verb: 'backup; rm -rf /', configPath, drive: 'T7' }), 'job-unknown-verb'],
    ['an extra field (a command line smuggled in)', job({ argv: ['zpool', 'destroy', 'rpool'] }), 'job-invalid'],
    ['a relative config path', job({ configPath: 'config.json' }), 'job-invalid'],
    ['a config path with ..', job({ configPath: '/home/u/../../etc/x.json' }), 'job-invalid'],
    ['a drive name with a newline', job({ drive: 'T7\nzpool' }), 'job-invalid'],
    ['a missing drive', JSON.stringify({ verb: 'backup', configPath }), 'job-invalid'],
    ['setup on a /dev/sdX path', JSON.stringify({ verb: 'setup', configPath, disk: '/dev/sda', name: 'T7', confirm: 'sda' }), 'job-invalid'],
    ['adopt with an invalid pool name', JSON.stringify({ verb: 'adopt', configPath, pool: '-f', target: 'backup/home', name: 'T7' }), 'job-invalid'],
    ['a drive that is not in the config', job({ drive: 'Other' }), 'drive-unknown'],
    ['a config that does not exist', job({ configPath: join(dir, 'nope.json') }), 'config-missing'],
  ])('%s', async (_what, line, code) => {
    const h = await runHelper([line])
    expect(await h.code).toBe(2)
    expect(h.events()).toEqual([expect.objectContaining({ type: 'error', code })])
    expect(h.runner.calls).toEqual([])
  })

  it('a job line of 1 MiB', async () => {
    const h = await runHelper('x'.repeat(1024 * 1024))
    expect(await h.code).toBe(2)
    expect(h.events()[0]).toMatchObject({ code: 'job-invalid', message: expect.stringMatching(/longer than/) })
  })

  it('no job at all (stdin closed at once)', async () => {
    const h = await runHelper([])
    expect(await h.code).toBe(2)
    expect(h.runner.calls).toEqual([])
  })

  it('restore-open without the passphrase line', async () => {
    const h = await runHelper([JSON.stringify({ verb: 'restore-open', configPath, drive: 'T7' })])
    expect(await h.code).toBe(2)
    expect(h.events()[0]).toMatchObject({ code: 'job-invalid', message: expect.stringMatching(/passphrase/) })
  })

  it('a verb whose engine is not wired yet: "not available", exit 3, nothing run', async () => {
    const h = await runHelper([JSON.stringify({ verb: 'adopt', configPath, pool: 'backup', target: 'backup/home', name: 'T8' })], { dispatch: { ...dispatch, adopt: null } })
    expect(await h.code).toBe(3)
    expect(h.events()).toEqual([expect.objectContaining({ code: 'not-available', message: 'Adopting a drive is not available in this version yet.' })])
    expect(h.runner.calls).toEqual([])
  })
})

describe('the config the helper reads as root', () => {
  // A user 4242 whose home is a temporary folder, as /etc/passwd would say.
  const home = join(dir, 'home')
  const passwdPath = join(dir, 'passwd')
  writeFileSync(passwdPath, `root:x:0:0:root:/root:/bin/sh\nalice:x:4242:4242:Alice:${home}:/bin/sh\n`)
  const userConfig = join(home, '.config', 'zfs-drive-backup', 'config.json')
  mkdirSync(dirname(userConfig), { recursive: true })
  copyFileSync(configPath, userConfig)
  const pkexec = { env: { PKEXEC_UID: '4242' }, passwdPath }

  it('under pkexec it reads the config from the user\'s passwd home, never a path the job names', async () => {
    const h = await runHelper([job()], pkexec)
    expect(await h.code).toBe(2)
    expect(h.events()[0]).toMatchObject({ code: 'config-refused', message: `The helper reads only ${userConfig} for alice (uid 4242), not ${configPath}.` })
    expect(h.runner.calls).toEqual([])
  })

  it('under pkexec the file must belong to the invoking user', async () => {
    const h = await runHelper([job({ configPath: userConfig })], pkexec)
    expect(await h.code).toBe(2)
    expect(h.events()[0]).toMatchObject({ code: 'config-refused', message: expect.stringMatching(/not by the user it is read for \(uid 4242\)/) })
  })

  it.runIf(process.getuid?.() === 0)('under pkexec the user\'s own file is read', async () => {
    chownSync(userConfig, 4242, 4242)
    const table = { ...dispatch, backup: async () => 'succeeded' as const }
    const h = await runHelper([job({ configPath: userConfig })], { ...pkexec, dispatch: table })
    expect(await h.code).toBe(0)
  })

  it('a PKEXEC_UID that names no account is refused', async () => {
    const h = await runHelper([job()], { env: { PKEXEC_UID: '999999' }, passwdPath })
    expect(await h.code).toBe(2)
    expect(h.events()[0]).toMatchObject({ code: 'config-refused', message: expect.stringMatching(/names no user account/) })
  })

  it('refuses symlinks, group-writable files and non-files, and never quotes the content', async () => {
    const link = join(dir, 'link.json')
    symlinkSync('/etc/passwd', link)
    await expect(readJobConfig(link, null)).rejects.toMatchObject({ code: 'config-refused', message: expect.stringMatching(/symbolic link/) })
    const gw = join(dir, 'gw.json')
    writeFileSync(gw, '{}')
    chmodSync(gw, 0o664)
    await expect(readJobConfig(gw, null)).rejects.toMatchObject({ message: expect.stringMatching(/writable by group/) })
    await expect(readJobConfig(dir + '/', null)).rejects.toMatchObject({ code: 'config-refused' })
    const secret = join(dir, 'secret.json')
    writeFileSync(secret, 'root:$6$supersecrethash:19000', { mode: 0o600 })
    const err = (await readJobConfig(secret, null).catch((e: Error) => e)) as Error
    expect(err.message).toMatch(/not valid JSON/)
    expect(err.message).not.toMatch(/supersecret/)
  })

  it('re-validates the content with the config schema', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ version: 1, drives: [{ name: 'T7', pool: 'backup;rm', poolGuid: GUID, disk: '/dev/sda', targets: {} }] }), { mode: 0o600 })
    const h = await runHelper([job({ configPath: bad })])
    expect(await h.code).toBe(2)
    expect(h.events()[0]).toMatchObject({ code: 'config-invalid', message: expect.stringMatching(/drives\[0\]\.pool/) })
    expect(h.runner.calls).toEqual([])
  })
})

describe('a valid job', () => {
  const at = '2026-11-27T10:00:00.000Z'
  it('runs the verb with the validated config and streams its events; closing stdin cancels', async () => {
    const seen: { drive?: string; signal?: AbortSignal; secret?: string | null } = {}
    const table: DispatchTable = {
      ...dispatch,
      backup: async (c) => {
        Object.assign(seen, { drive: c.config.drives[0]!.name, signal: c.signal, secret: c.secret })
        c.emit({ type: 'run-started', runId: 'r', verb: 'backup', drive: c.job.drive, steps: [], at })
        await new Promise((r) => c.signal.addEventListener('abort', r))
        c.emit({ type: 'run-finished', outcome: 'cancelled', durationMs: 1, at, bytes: 0 })
        return 'cancelled'
      },
    }
    const h = await runHelper([job()], { dispatch: table, keepOpen: true })
    await vi.waitFor(() => expect(h.out).toHaveLength(1))
    expect(seen.signal!.aborted).toBe(false)
    h.stdin.end()
    expect(await h.code).toBe(130)
    expect(h.events().map((e) => e.type)).toEqual(['run-started', 'run-finished'])
    expect(seen).toMatchObject({ drive: 'T7', secret: null })
  })

  it('hands the passphrase line to the verb, and it never appears on stdout', async () => {
    const table: DispatchTable = {
      ...dispatch,
      'restore-open': async (c) => {
        c.emit({ type: 'info', step: 'load-key', message: `got a passphrase of ${c.secret!.length} characters` })
        return 'succeeded'
      },
    }
    const h = await runHelper([JSON.stringify({ verb: 'restore-open', configPath, drive: 'T7' }), 'correct horse battery staple'], { dispatch: table, keepOpen: true })
    expect(await h.code).toBe(0)
    expect(h.out.join('\n')).not.toContain('correct horse')
    expect(h.events()[0]).toMatchObject({ message: 'got a passphrase of 28 characters' })
  })

  it('the dispatch table runs every verb of the job schema', () => {
    expect(availableVerbs().sort()).toEqual(['adopt', 'auto', 'backup', 'delegation-grant', 'delegation-revoke', 'eject', 'restore-close', 'restore-open', 'scrub', 'setup', 'snapshot-create', 'snapshot-destroy', 'verify-key'])
  })
})

describe('setup and adopt need their own polkit action', () => {
  it('started by the everyday wrapper (ZFS_DRIVE_BACKUP_ACTION=run), the helper refuses setup and adopt before any command', async () => {
    for (const line of [
      JSON.stringify({ verb: 'setup', configPath, disk: '/dev/disk/by-id/usb-Samsung_T7_123', name: 'T7', confirm: 'usb-Samsung_T7_123' }),
      JSON.stringify({ verb: 'adopt', configPath, pool: 'backup', target: 'backup/home', name: 'T7' }),
    ]) {
      const h = await runHelper([line], { env: { ZFS_DRIVE_BACKUP_ACTION: 'run' } })
      expect(await h.code).toBe(2)
      expect(h.events()[0]).toMatchObject({ code: 'job-refused', message: expect.stringMatching(/needs its own password prompt/) })
      expect(h.runner.calls).toEqual([])
    }
  })

  it('the app starts setup and adopt through the setup wrapper when it is installed', async () => {
    const { setupCommandFor } = await import('../../../main/app/privileged')
    const wrapper = '/opt/ZFS Drive Backup/resources/helper/zfs-drive-backup-helper'
    expect(setupCommandFor(['pkexec', wrapper], () => true)).toEqual(['pkexec', '/opt/ZFS Drive Backup/resources/helper/zfs-drive-backup-setup-helper'])
    expect(setupCommandFor(['pkexec', wrapper], () => false)).toEqual(['pkexec', wrapper])
    expect(setupCommandFor(['pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', 'electron', 'out/main/helper.js'])).toEqual(['pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', 'electron', 'out/main/helper.js'])
  })

  it('the policy gives setup its own action: auth_admin, never kept', () => {
    const policy = readFileSync('build/linux/io.github.zfsdrivebackup.helper.policy', 'utf8')
    const setup = /<action id="io\.github\.zfsdrivebackup\.setup">([\s\S]*?)<\/action>/.exec(policy)?.[1] ?? ''
    expect(setup).toMatch(/<allow_active>auth_admin<\/allow_active>/)
    expect(setup).not.toMatch(/keep/)
    expect(setup).toMatch(/exec\.path">\/opt\/ZFS Drive Backup\/resources\/helper\/zfs-drive-backup-setup-helper</)
    expect(readFileSync('build/linux/zfs-drive-backup-setup-helper', 'utf8')).toMatch(/ZFS_DRIVE_BACKUP_ACTION=setup /)
    expect(readFileSync('build/linux/zfs-drive-backup-helper', 'utf8')).toMatch(/ZFS_DRIVE_BACKUP_ACTION=run /)
  })
})
