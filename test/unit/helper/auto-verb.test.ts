// The helper's `auto` verb (the window's switch): the job is validated like every other, and it runs the
// same pipeline as `auto enable|disable` for the user who asked, with that user's history in the instance.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { serviceCommand } from '../../../main/engine/auto-switch'
import { availableVerbs } from '../../../main/helper/dispatch'
import { helperMain } from '../../../main/helper/main'
import { RunEvent } from '../../../shared/events'
import type { CommandResult, Runner } from '../../../main/system/runner'

const GUID = '16412717767768173259'
const dir = mkdtempSync(join(tmpdir(), 'zdb-helper-auto-'))
const configPath = join(dir, 'config.json')
writeFileSync(configPath, JSON.stringify({
  version: 1, sources: [{ dataset: 'rpool/home' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: GUID, disk: '/dev/disk/by-id/usb-Samsung_T7_123', targets: { 'rpool/home': 'backup/home' } }],
}), { mode: 0o600 })
const passwdPath = join(dir, 'passwd')
writeFileSync(passwdPath, 'root:x:0:0:root:/root:/bin/bash\neds:x:1000:1000:Eds:/home/eds:/bin/sh\n')
const paths = { rulesDir: join(dir, 'rules.d'), unitDir: join(dir, 'system'), instanceDir: join(dir, 'auto') }

function runner(): Runner & { calls: string[][] } {
  const calls: string[][] = []
  return { calls, run: async (argv): Promise<CommandResult> => (calls.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) }
}

async function helper(job: Record<string, unknown>) {
  const stdin = new PassThrough()
  const out: string[] = []
  const r = runner()
  const code = helperMain({ stdin, writeLine: (l) => out.push(l), env: {} }, {
    runner: r, jobTimeoutMs: 2000, passwdPath,
    auto: { service: serviceCommand('/opt/app/out/main/cli.js', '/usr/bin/node', false), paths, nixosMarker: join(dir, 'no-NIXOS'), systemctl: '/usr/bin/systemctl' },
  })
  // Kept open while it runs: closing stdin is the app's cancel.
  stdin.write(JSON.stringify({ configPath, drive: 'T7', ...job }) + '\n')
  const exit = await code
  stdin.end()
  return { code: exit, events: out.map((l) => RunEvent.parse(JSON.parse(l))), runner: r }
}

afterEach(() => vi.restoreAllMocks())

describe('the helper’s auto verb', () => {
  it('is one of the verbs the app may offer', () => {
    expect(availableVerbs()).toContain('auto')
  })

  it('a job without on/off, or with anything extra, is refused before any command', async () => {
    for (const job of [{ verb: 'auto' }, { verb: 'auto', on: 'yes' }, { verb: 'auto', on: true, uid: 0 }]) {
      const h = await helper(job)
      expect(h.code, JSON.stringify(job)).toBe(2)
      expect(h.events).toEqual([expect.objectContaining({ type: 'error', code: 'job-invalid' })])
      expect(h.runner.calls).toEqual([])
    }
  })

  it('on, then off: the same files as auto enable|disable, for the user who asked and their history', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0)
    const on = await helper({ verb: 'auto', on: true })
    expect(on.code).toBe(0)
    const instance = join(paths.instanceDir, `0-${GUID}.json`)
    expect(JSON.parse(readFileSync(instance, 'utf8'))).toMatchObject({ uid: 0, poolGuid: GUID, drive: 'T7', configPath, historyPath: '/root/.local/state/zfs-drive-backup/history.jsonl' })
    expect(readFileSync(join(paths.unitDir, 'zfs-drive-backup-auto@.service'), 'utf8')).toContain('ExecStart=/usr/bin/node /opt/app/out/main/cli.js auto run %i')
    expect(on.events).toContainEqual({ type: 'auto-backup', drive: 'T7', on: true, unit: `zfs-drive-backup-auto@0-${GUID}.service` })
    expect(on.events.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'succeeded' })
    // Root never writes the user's config: the app records "autoBackup" from the event.
    expect(JSON.parse(readFileSync(configPath, 'utf8')).drives[0].autoBackup).toBeUndefined()

    const off = await helper({ verb: 'auto', on: false })
    expect(off.code).toBe(0)
    expect(existsSync(instance)).toBe(false)
    expect(existsSync(join(paths.rulesDir, `90-zfs-drive-backup-0-${GUID}.rules`))).toBe(false)
    expect(off.events).toContainEqual(expect.objectContaining({ type: 'auto-backup', on: false }))
  })
})
