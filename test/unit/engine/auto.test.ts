// Backup on plug: what `auto enable` writes (udev rule, instance, template unit) and `auto disable`
// removes, checked on temporary directories with a recording runner.
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AutoInstance, disableAuto, enableAuto, readInstance, type AutoPaths } from '../../../main/engine/auto'
import type { CommandResult, Runner } from '../../../main/system/runner'
import { templateUnitText, unitArg } from '../../../main/system/systemd'
import { autoRuleText } from '../../../main/system/udev'

const GUID = '13251836079750056283'

function recorder(): Runner & { calls: string[][] } {
  const calls: string[][] = []
  return { calls, run: async (argv): Promise<CommandResult> => (calls.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) }
}

function paths(): AutoPaths {
  const d = mkdtempSync(join(tmpdir(), 'zdb-auto-'))
  return { rulesDir: join(d, 'rules.d'), unitDir: join(d, 'system'), instanceDir: join(d, 'auto') }
}

const instance = (uid = 1000, poolGuid = GUID) => ({ version: 1 as const, uid, poolGuid, drive: 'Samsung T7', configPath: '/home/eds/.config/zfs-drive-backup/config.json', historyPath: '/home/eds/.local/state/zfs-drive-backup/history.jsonl' })

describe('the udev rule', () => {
  it('matches the pool GUID of a zfs_member on add only, and asks systemd (without blocking udev) to start the instance', () => {
    const text = autoRuleText({ poolGuid: GUID, unit: `zfs-drive-backup-auto@1000-${GUID}.service`, systemctl: '/usr/bin/systemctl', comment: 'for "T7"\nEVIL=1' })
    const rule = text.split('\n').filter((l) => l && !l.startsWith('#'))
    expect(rule).toEqual([`ACTION=="add", SUBSYSTEM=="block", ENV{ID_FS_TYPE}=="zfs_member", ENV{ID_FS_UUID}=="${GUID}", RUN+="/usr/bin/systemctl --no-block start zfs-drive-backup-auto@1000-${GUID}.service"`])
  })

  it('refuses anything that is not a GUID, a unit name or an absolute path', () => {
    expect(() => autoRuleText({ poolGuid: '1", RUN+="/bin/sh', unit: 'x.service', systemctl: '/usr/bin/systemctl', comment: '' })).toThrow()
    expect(() => autoRuleText({ poolGuid: GUID, unit: 'x y.service', systemctl: '/usr/bin/systemctl', comment: '' })).toThrow()
    expect(() => autoRuleText({ poolGuid: GUID, unit: 'x.service', systemctl: 'systemctl', comment: '' })).toThrow()
  })
})

describe('the template unit', () => {
  it('runs the CLI as a oneshot with the instance as its last argument, SIGTERM to the CLI only', () => {
    const text = templateUnitText({ description: 'ZFS Drive Backup', command: ['/opt/ZFS Drive Backup/zfs-drive-backup', '/opt/app.asar/out/main/cli.js', 'auto', 'run'], environment: { PATH: '/usr/bin:/bin', ELECTRON_RUN_AS_NODE: '1' } })
    expect(text).toContain('ExecStart="/opt/ZFS Drive Backup/zfs-drive-backup" /opt/app.asar/out/main/cli.js auto run %i\n')
    expect(text).toContain('Type=oneshot')
    expect(text).toContain('KillMode=process')
    expect(text).toContain('Environment=ELECTRON_RUN_AS_NODE=1')
  })

  it('escapes specifiers, variables and quotes in arguments', () => {
    expect(unitArg('/a/100%/b')).toBe('/a/100%%/b')
    expect(unitArg('$HOME')).toBe('"$$HOME"')
    expect(unitArg('say "hi"')).toBe('"say \\"hi\\""')
    expect(() => unitArg('a\nb')).toThrow()
  })
})

describe('instances', () => {
  it('are <uid>-<pool GUID>, nothing else', () => {
    expect(AutoInstance.parse(`1000-${GUID}`)).toEqual({ uid: 1000, poolGuid: GUID, name: `1000-${GUID}` })
    for (const bad of ['', '1000', `x-${GUID}`, `1000-${GUID}0000`, `../1000-${GUID}`, `1000-${GUID}.service`, `99999999999-${GUID}`]) expect(AutoInstance.safeParse(bad).success, bad).toBe(false)
  })
})

describe('enable and disable', () => {
  it('enable writes rule, instance and template, then reloads systemd and udev; disable removes all three', async () => {
    const p = paths()
    const runner = recorder()
    const written = await enableAuto({ paths: p, runner, instance: instance(), command: ['/usr/bin/node', '/usr/lib/zfs-drive-backup/cli.js'], environment: { PATH: '/usr/bin' }, systemctl: '/usr/bin/systemctl' })
    expect(written).toHaveLength(3)
    for (const f of written) expect(existsSync(f), f).toBe(true)
    expect(readFileSync(join(p.rulesDir, `90-zfs-drive-backup-1000-${GUID}.rules`), 'utf8')).toContain(`ENV{ID_FS_UUID}=="${GUID}"`)
    expect(runner.calls).toEqual([['systemctl', 'daemon-reload'], ['udevadm', 'control', '--reload']])
    expect(await readInstance(AutoInstance.parse(`1000-${GUID}`), p)).toEqual(instance())

    const removed = await disableAuto({ paths: p, runner, uid: 1000, poolGuid: GUID })
    expect(removed.sort()).toEqual([...written].sort())
    for (const f of written) expect(existsSync(f), f).toBe(false)
  })

  it('the template stays while another drive (or user) still has a rule', async () => {
    const p = paths()
    const runner = recorder()
    const base = { paths: p, runner, command: ['/usr/bin/node', '/cli.js'], environment: {}, systemctl: '/usr/bin/systemctl' }
    await enableAuto({ ...base, instance: instance(1000) })
    await enableAuto({ ...base, instance: instance(1001) })
    await disableAuto({ paths: p, runner, uid: 1000, poolGuid: GUID })
    expect(existsSync(join(p.unitDir, 'zfs-drive-backup-auto@.service'))).toBe(true)
    await disableAuto({ paths: p, runner, uid: 1001, poolGuid: GUID })
    expect(existsSync(join(p.unitDir, 'zfs-drive-backup-auto@.service'))).toBe(false)
  })

  it('the service refuses an instance file others can write, or one describing another instance', async () => {
    const p = paths()
    const runner = recorder()
    const [, inst] = await enableAuto({ paths: p, runner, instance: instance(), command: ['/usr/bin/node', '/cli.js'], environment: {}, systemctl: '/usr/bin/systemctl' })
    await expect(readInstance(AutoInstance.parse(`1001-${GUID}`), p)).rejects.toMatchObject({ code: 'auto-not-enabled' })
    chmodSync(inst!, 0o666)
    await expect(readInstance(AutoInstance.parse(`1000-${GUID}`), p)).rejects.toMatchObject({ code: 'auto-refused' })
  })
})
