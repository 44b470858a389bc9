import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, defaultConfigPath, loadConfig, parseConfig, saveConfig } from '../../../main/config/load'
import { emptyConfig } from '../../../main/config/schema'

const temps: string[] = []
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'zdb-config-'))
  temps.push(d)
  return d
}

const drive = {
  name: 'Samsung T7',
  pool: 'backup',
  poolGuid: '16412717767768173259',
  disk: '/dev/disk/by-id/usb-Samsung_PSSD_T7_S6XNNS0TB03264T-0:0',
  targets: { 'rpool/nixos/home': 'backup/eds' },
}
const minimal = { version: 1, sources: [{ dataset: 'rpool/nixos/home' }], drives: [drive] }

function problems(data: unknown): string[] {
  try {
    parseConfig(data)
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems]
    throw e
  }
  return []
}

describe('config schema', () => {
  it("fills in the guide's defaults", () => {
    expect(parseConfig(minimal)).toEqual({
      version: 1,
      sources: [{ dataset: 'rpool/nixos/home', allowUnencrypted: false, snapshotBeforeBackup: false }],
      drives: [drive],
      replication: { engine: 'native', raw: true, compress: 'none', deleteTargetSnapshots: true, noSyncSnap: true, noRollback: true },
      afterBackup: { export: true, powerOff: true },
      staleAfterDays: 7,
      scrubEveryDays: 30,
      keyCheckEveryDays: 90,
      autoBackupOnConnect: false,
    })
    expect(emptyConfig().drives).toEqual([])
  })

  it('supports several sources on one drive', () => {
    const c = parseConfig({ version: 1, sources: [{ dataset: 'rpool/home' }, { dataset: 'rpool/work' }], drives: [{ ...drive, targets: { 'rpool/home': 'backup/home', 'rpool/work': 'backup/work' } }] })
    expect(Object.keys(c.drives[0]!.targets)).toEqual(['rpool/home', 'rpool/work'])
  })

  it('names the field and the rule', () => {
    expect(problems({ ...minimal, drives: [{ ...drive, poolGuid: 'b7e7fab40b35095b' }] })).toEqual(['drives[0].poolGuid: must be a decimal pool GUID'])
    expect(problems({ ...minimal, drives: [{ ...drive, poolGuid: 1641271776776817 }] })[0]).toMatch(/^drives\[0\]\.poolGuid: must be a decimal pool GUID/)
    expect(problems({ ...minimal, drives: [{ ...drive, pool: '-rf' }] })).toEqual([`drives[0].pool: must not start with '-' (it would read as an option)`])
    expect(problems({ ...minimal, drives: [{ ...drive, disk: '/dev/sda' }] })).toEqual(['drives[0].disk: must start with /dev/disk/by-id/'])
    expect(problems({ ...minimal, sources: [{ dataset: 'rpool/a;b' }] })[0]).toMatch(/^sources\[0\]\.dataset: character ';' is not allowed/)
    expect(problems({ ...minimal, version: 2 })).toEqual(['version: must be 1 (the only config version this app knows)'])
    expect(problems({ sources: [] })).toEqual(['version: must be 1 (the only config version this app knows)'])
    expect(problems({ ...minimal, staleAfterDays: 0 })).toEqual(['staleAfterDays: must be at least 1'])
    expect(problems({ ...minimal, replication: { compress: 'brotli' } })[0]).toMatch(/^replication\.compress: must be one of "none"/)
    expect(problems({ ...minimal, drives: [{ ...drive, name: undefined }] })).toEqual(['drives[0].name: is required'])
    expect(problems({ ...minimal, extra: 1 })).toEqual(['(config): unknown setting "extra"'])
  })

  it('checks that targets belong to the drive and to configured sources', () => {
    expect(problems({ ...minimal, drives: [{ ...drive, targets: { 'rpool/nixos/home': 'backup' } }] })).toEqual(['drives[0].targets["rpool/nixos/home"]: must be a dataset inside pool backup (like backup/data)'])
    expect(problems({ ...minimal, drives: [{ ...drive, targets: { 'rpool/nixos/home': 'other/eds' } }] })[0]).toMatch(/inside pool backup/)
    expect(problems({ ...minimal, drives: [{ ...drive, targets: { 'rpool/other': 'backup/x' } }] })).toEqual(['drives[0].targets["rpool/other"]: rpool/other is not one of the configured sources'])
    expect(problems({ ...minimal, drives: [{ ...drive, targets: { 'rpool/nixos/home': 'backup/../x' } }] })[0]).toMatch(/^drives\[0\]\.targets\["rpool\/nixos\/home"\]: must not contain a '\.\.' component/)
  })

  it('rejects duplicates and power-off without export', () => {
    expect(problems({ ...minimal, drives: [drive, { ...drive, name: 'Other' }] })).toEqual(['drives[1].poolGuid: another drive already has this pool GUID'])
    expect(problems({ ...minimal, afterBackup: { export: false } })).toEqual(['afterBackup.powerOff: requires export: true (a drive with an imported pool must not lose power)'])
    expect(problems({ ...minimal, afterBackup: { export: false, powerOff: false } })).toEqual([])
  })
})

describe('config file', () => {
  it('lives under $XDG_CONFIG_HOME, or ~/.config when unset or relative', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x/cfg' }, '/home/u')).toBe('/x/cfg/zfs-drive-backup/config.json')
    expect(defaultConfigPath({}, '/home/u')).toBe('/home/u/.config/zfs-drive-backup/config.json')
    expect(defaultConfigPath({ XDG_CONFIG_HOME: 'rel' }, '/home/u')).toBe('/home/u/.config/zfs-drive-backup/config.json')
  })

  it('returns the empty config when there is no file yet', async () => {
    const r = await loadConfig(join(await tmp(), 'none', 'config.json'))
    expect(r).toMatchObject({ exists: false, config: emptyConfig() })
  })

  it('saves atomically (private file, no temp left) and loads back', async () => {
    const path = join(await tmp(), 'zfs-drive-backup', 'config.json')
    await saveConfig(minimal, path)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(join(path, '..'))).toEqual(['config.json'])
    const r = await loadConfig(path)
    expect(r.exists).toBe(true)
    expect(r.config.drives[0]!.poolGuid).toBe('16412717767768173259')
    expect(JSON.parse(await readFile(path, 'utf8')).replication.raw).toBe(true)
  })

  it('refuses to save an invalid config and keeps the old file', async () => {
    const path = join(await tmp(), 'config.json')
    await saveConfig(minimal, path)
    await expect(saveConfig({ ...minimal, drives: [{ ...drive, poolGuid: 'x' }] }, path)).rejects.toThrow(/drives\[0\]\.poolGuid: must be a decimal pool GUID/)
    expect((await loadConfig(path)).config.drives[0]!.poolGuid).toBe('16412717767768173259')
  })

  it('reports broken JSON and invalid fields with the file name', async () => {
    const path = join(await tmp(), 'config.json')
    await writeFile(path, '{ "version": 1, ')
    await expect(loadConfig(path)).rejects.toThrow(/config\.json: is not valid JSON/)
    await writeFile(path, JSON.stringify({ ...minimal, scrubEveryDays: 'monthly' }))
    await expect(loadConfig(path)).rejects.toThrow(`${path}: scrubEveryDays: must be a number of days`)
  })
})
