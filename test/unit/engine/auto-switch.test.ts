// The one pipeline behind `auto enable|disable` and the window's switch, and the one answer to "is backup
// on plug on?" that `status` and the drive card both show. Temporary directories, a recording runner.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AutoPaths } from '../../../main/engine/auto'
import { autoBackupState, recordAutoBackup, serviceCommand, switchAutoBackup } from '../../../main/engine/auto-switch'
import type { Config, DriveConfig } from '../../../main/config/schema'
import { parseConfig } from '../../../main/config/load'
import type { RunEvent } from '../../../shared/events'
import type { CommandResult, Runner } from '../../../main/system/runner'

const GUID = '13251836079750056283'
const base = mkdtempSync(join(tmpdir(), 'zdb-auto-switch-'))
const config: Config = parseConfig({
  version: 1, sources: [{ dataset: 'rpool/home' }],
  drives: [{ name: 'T7', pool: 'backup', poolGuid: GUID, disk: '/dev/disk/by-id/usb-Samsung_T7_123', targets: { 'rpool/home': 'backup/home' } }],
})
const drive = config.drives[0]!
const owner = { uid: 1000, configPath: '/home/eds/.config/zfs-drive-backup/config.json', historyPath: '/home/eds/.local/state/zfs-drive-backup/history.jsonl' }
const service = serviceCommand('/opt/app/out/main/cli.js', '/usr/bin/node', false)

function recorder(): Runner & { calls: string[][] } {
  const calls: string[][] = []
  return { calls, run: async (argv): Promise<CommandResult> => (calls.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) }
}

function paths(): AutoPaths {
  const d = mkdtempSync(join(base, 'p-'))
  return { rulesDir: join(d, 'rules.d'), unitDir: join(d, 'system'), instanceDir: join(d, 'auto') }
}

async function run(on: boolean, p: AutoPaths, over: { nixosMarker?: string } = {}) {
  const events: RunEvent[] = []
  const runner = recorder()
  const outcome = await switchAutoBackup({ config, driveName: 'T7', on, owner, service, runner, emit: (e) => events.push(e), signal: new AbortController().signal, paths: p, nixosMarker: over.nixosMarker ?? join(base, 'no-NIXOS'), systemctl: '/usr/bin/systemctl' })
  return { outcome, events, runner }
}

afterEach(() => vi.restoreAllMocks())

describe('switching backup on plug', () => {
  it('on: installs rule, instance and unit for that user, reloads systemd and udev, and reports it for the config', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0)
    const p = paths()
    const r = await run(true, p)
    expect(r.outcome).toBe('succeeded')
    expect(r.events[0]).toMatchObject({ type: 'run-started', verb: 'auto', drive: 'T7' })
    const instance = `1000-${GUID}`
    expect(readFileSync(join(p.rulesDir, `90-zfs-drive-backup-${instance}.rules`), 'utf8')).toContain(`ENV{ID_FS_UUID}=="${GUID}"`)
    expect(JSON.parse(readFileSync(join(p.instanceDir, `${instance}.json`), 'utf8'))).toMatchObject({ ...owner, poolGuid: GUID, drive: 'T7' })
    expect(readFileSync(join(p.unitDir, 'zfs-drive-backup-auto@.service'), 'utf8')).toContain('ExecStart=/usr/bin/node /opt/app/out/main/cli.js auto run %i')
    expect(r.events.filter((e) => e.type === 'command').map((e) => e.type === 'command' && e.argv)).toEqual([['systemctl', 'daemon-reload'], ['udevadm', 'control', '--reload']])
    expect(r.events).toContainEqual({ type: 'auto-backup', drive: 'T7', on: true, unit: `zfs-drive-backup-auto@${instance}.service` })
    expect(autoBackupState({ ...drive, autoBackup: true }, 1000, p)).toEqual({ on: true, note: null })
  })

  it('off: removes all three, and reports it', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0)
    const p = paths()
    await run(true, p)
    const r = await run(false, p)
    expect(r.outcome).toBe('succeeded')
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'auto-backup', drive: 'T7', on: false }))
    expect(existsSync(join(p.rulesDir, `90-zfs-drive-backup-1000-${GUID}.rules`))).toBe(false)
    expect(existsSync(join(p.instanceDir, `1000-${GUID}.json`))).toBe(false)
    expect(existsSync(join(p.unitDir, 'zfs-drive-backup-auto@.service'))).toBe(false)
    expect(autoBackupState({ ...drive, autoBackup: false }, 1000, p)).toEqual({ on: false, note: null })
  })

  it('not as root: fails saying so, writes nothing and reports no switch', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000)
    const p = paths()
    const r = await run(true, p)
    expect(r.outcome).toBe('failed')
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'error', code: 'not-root' }))
    expect(r.events.some((e) => e.type === 'auto-backup')).toBe(false)
    expect(existsSync(p.instanceDir)).toBe(false)
  })

  it('on NixOS: refused with the module option to declare instead', async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0)
    const marker = join(base, 'NIXOS')
    writeFileSync(marker, '')
    const r = await run(true, paths(), { nixosMarker: marker })
    expect(r.outcome).toBe('failed')
    const err = r.events.find((e) => e.type === 'error')
    expect(err).toMatchObject({ code: 'auto-nixos', hint: expect.stringContaining(`programs.zfs-drive-backup.autoBackup."T7" = { uid = 1000; home = "…"; poolGuid = "${GUID}"; }`) })
  })
})

describe('is backup on plug on? (status and the drive card)', () => {
  const installed = (): AutoPaths => {
    const p = paths()
    mkdirSync(p.instanceDir, { recursive: true })
    writeFileSync(join(p.instanceDir, `1000-${GUID}.json`), '{}')
    return p
  }
  const d = (autoBackup?: boolean): DriveConfig => ({ ...drive, ...(autoBackup === undefined ? {} : { autoBackup }) })

  it('on only when the config asks for it and root installed it for this user', () => {
    expect(autoBackupState(d(true), 1000, installed())).toEqual({ on: true, note: null })
    expect(autoBackupState(d(), 1000, paths())).toEqual({ on: false, note: null })
    // Another user's instance is not this user's.
    expect(autoBackupState(d(true), 1001, installed()).on).toBe(false)
  })

  it('when the halves disagree, says what plugging in does', () => {
    expect(autoBackupState(d(true), 1000, paths()).note).toMatch(/not installed .*plugging in starts nothing/)
    expect(autoBackupState(d(false), 1000, installed()).note).toMatch(/does nothing when the drive is plugged in/)
  })
})

describe('the parts each shell adds', () => {
  it('recordAutoBackup sets the flag on that drive only, in the user’s config', async () => {
    const path = join(mkdtempSync(join(base, 'c-')), 'config.json')
    writeFileSync(path, JSON.stringify({ ...config, drives: [...config.drives, { ...drive, name: 'Other', poolGuid: '1' }] }))
    const next = await recordAutoBackup(path, 'T7', true)
    expect(next.drives.map((x) => [x.name, x.autoBackup])).toEqual([['T7', true], ['Other', undefined]])
    expect(JSON.parse(readFileSync(path, 'utf8')).drives[0].autoBackup).toBe(true)
  })

  it('the service runs the CLI with the same runtime; Electron’s runs as Node', () => {
    expect(serviceCommand('/opt/Z/resources/app.asar.unpacked/out/main/cli.js', '/opt/Z/zfs-drive-backup-tray', true)).toEqual({
      command: ['/opt/Z/zfs-drive-backup-tray', '/opt/Z/resources/app.asar.unpacked/out/main/cli.js'],
      environment: { PATH: expect.stringContaining('/usr/sbin'), ELECTRON_RUN_AS_NODE: '1' },
    })
    expect(() => serviceCommand('out/main/cli.js', '/usr/bin/node', false)).toThrow()
  })
})
