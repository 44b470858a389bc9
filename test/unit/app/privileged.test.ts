// The launcher against stand-in pkexec scripts on PATH: they behave like pkexec does when the prompt is
// dismissed, no agent runs or the user is not authorized, or (after "authorizing") run a fake helper.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { helperCommand, HELPER_ENV, installedHelper, mapPkexecFailure, PkexecLauncher } from '../../../main/app/privileged'
import type { RunEvent } from '../../../shared/events'
import type { Job } from '../../../main/helper/job'

const INSTALLED_HELPER = '/opt/ZFS Drive Backup/resources/helper/zfs-drive-backup-helper'

vi.mock('electron', () => ({}))

const job: Job = { verb: 'backup', configPath: '/home/u/.config/zfs-drive-backup/config.json', drive: 'T7' }

function fakePkexec(body: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-pkexec-'))
  writeFileSync(join(dir, 'pkexec'), `#!/bin/sh\n${body}\n`)
  chmodSync(join(dir, 'pkexec'), 0o755)
  return { dir, env: { PATH: `${dir}:/usr/bin:/bin` } }
}

async function launch(body: string, opts: { secret?: string; cancelAfterStart?: boolean } = {}) {
  const f = fakePkexec(body)
  const launcher = new PkexecLauncher({ command: ['pkexec', INSTALLED_HELPER], env: f.env, fallbackDirs: [] })
  const events: RunEvent[] = []
  const bad: string[] = []
  const handle = launcher.run(job, {
    ...(opts.secret ? { secret: opts.secret } : {}),
    onEvent: (e) => {
      events.push(e)
      if (opts.cancelAfterStart && e.type === 'run-started') handle.cancel()
    },
    onProtocolError: (l) => bad.push(l),
  })
  return { ...(await handle.done), events, bad, handle, dir: f.dir }
}

describe('pkexec failures become clear messages', () => {
  it('dismissed prompt (126, "Request dismissed")', async () => {
    const r = await launch(`echo "Error executing command as another user: Request dismissed" >&2; exit 126`)
    expect(r.error).toMatchObject({ code: 'auth-dismissed', message: 'The password prompt was dismissed, so nothing was run.' })
    expect(r.helperRan).toBe(false)
  })

  it('no polkit agent (127, "No authentication agent found.")', async () => {
    const r = await launch(`echo "Error executing command as another user: No authentication agent found." >&2; exit 127`)
    expect(r.error).toMatchObject({ code: 'auth-no-agent', message: expect.stringMatching(/No polkit authentication agent/), hint: expect.stringMatching(/polkit agent/) })
  })

  it('not authorized (127, "Not authorized")', async () => {
    const r = await launch(`printf 'Error executing command as another user: Not authorized\\n\\nThis incident has been reported.\\n' >&2; exit 127`)
    expect(r.error).toMatchObject({ code: 'auth-not-authorized', hint: expect.stringMatching(/io.github.zfsdrivebackup.helper/) })
  })

  it('the helper path is missing', async () => {
    const r = await launch(`echo "Cannot run program $1: No such file or directory" >&2; exit 127`)
    expect(r.error).toMatchObject({ code: 'helper-missing' })
  })

  it('pkexec not installed at all', async () => {
    const launcher = new PkexecLauncher({ command: ['pkexec', INSTALLED_HELPER], env: { PATH: mkdtempSync(join(tmpdir(), 'empty-')) }, fallbackDirs: [] })
    const r = await launcher.run(job, { onEvent: () => undefined }).done
    expect(r.error).toMatchObject({ code: 'pkexec-missing', hint: expect.stringMatching(/NixOS/) })
  })

  it('the mapping by exit code alone', () => {
    expect(mapPkexecFailure(126, '').code).toBe('auth-dismissed')
    expect(mapPkexecFailure(127, 'weird').code).toBe('auth-failed')
    expect(mapPkexecFailure(1, '').code).toBe('helper-crashed')
  })
})

describe('a helper that ran', () => {
  const started = JSON.stringify({ type: 'run-started', runId: 'r', verb: 'backup', drive: 'T7', steps: [{ id: 'x', title: 'X' }], at: '2026-11-27T10:00:00.000Z' })
  const finished = (o: string) => JSON.stringify({ type: 'run-finished', outcome: o, durationMs: 1, at: '2026-11-27T10:00:01.000Z', bytes: 0 })

  it('gets the job (and the passphrase) on stdin, never in argv; its events are parsed line by line; garbage is reported, not forwarded', async () => {
    const r = await launch(`
      out=$(dirname "$0")
      echo "$*" > "$out/argv"
      read -r job; echo "$job" > "$out/job"
      read -r secret; echo "$secret" > "$out/secret"
      echo '${started}'
      echo 'not json'
      echo '{"type":"progress","step":"x","bytes":-1}'
      echo '${finished('succeeded')}'
      exit 0`, { secret: 'correct horse' })
    expect(r.error).toBeNull()
    expect(r).toMatchObject({ exitCode: 0, outcome: 'succeeded', helperRan: true })
    expect(r.events.map((e) => e.type)).toEqual(['run-started', 'run-finished'])
    expect(r.bad).toHaveLength(2)
    expect(readFileSync(join(r.dir, 'argv'), 'utf8').trim()).toBe(INSTALLED_HELPER)
    expect(JSON.parse(readFileSync(join(r.dir, 'job'), 'utf8'))).toEqual(job)
    expect(readFileSync(join(r.dir, 'secret'), 'utf8').trim()).toBe('correct horse')
  })

  it('cancel closes stdin: the helper sees EOF and finishes as cancelled', async () => {
    const r = await launch(`
      read -r job
      echo '${started}'
      cat > /dev/null
      echo '${finished('cancelled')}'
      exit 130`, { cancelAfterStart: true })
    expect(r).toMatchObject({ exitCode: 130, outcome: 'cancelled', error: null })
  })

  it('a helper that dies mid-run is still reported as having run (its own errors came as events)', async () => {
    const r = await launch(`read -r job; echo '${started}'; exit 1`)
    expect(r).toMatchObject({ helperRan: true, outcome: null, error: null, exitCode: 1 })
  })
})

describe('which helper command', () => {
  const base = { execPath: '/opt/app/electron', outMainDir: '/opt/app/out/main' }
  it('installed: the wrapper next to the app archive, wherever the package put the app', () => {
    expect(installedHelper('/opt/ZFS Drive Backup/resources/app.asar')).toBe(INSTALLED_HELPER)
    const nix = '/nix/store/0c2yqf5k4ijv3ifw7zxk3pqb8mh1h0ss-zfs-drive-backup-0.1.0/share/zfs-drive-backup/resources'
    expect(installedHelper(`${nix}/app.asar`)).toBe(`${nix}/helper/zfs-drive-backup-helper`)
    expect(installedHelper('/home/me/src/zfs-drive-backup')).toBeNull()
  })
  it('installed: always pkexec on that root-owned wrapper; the environment cannot change it', () => {
    expect(helperCommand({ ...base, installedHelper: INSTALLED_HELPER, env: { [HELPER_ENV]: '["sh","-c","evil"]' } })).toEqual(['pkexec', INSTALLED_HELPER])
  })
  it('dev: pkexec on the built helper with Electron as Node, or the command in the environment', () => {
    expect(helperCommand({ ...base, installedHelper: null, env: {} })).toEqual(['pkexec', '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/opt/app/electron', '/opt/app/out/main/helper.js'])
    expect(helperCommand({ ...base, installedHelper: null, env: { [HELPER_ENV]: '["sudo","-n","node","out/main/helper.js"]' } })).toEqual(['sudo', '-n', 'node', 'out/main/helper.js'])
    expect(() => helperCommand({ ...base, installedHelper: null, env: { [HELPER_ENV]: 'sudo -n node' } })).toThrow(/JSON array/)
  })
})
