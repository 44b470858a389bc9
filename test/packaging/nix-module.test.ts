// The flake, the package and the NixOS module, evaluated (not built: there is no Nixpkgs or store here) by
// Debian's nix-instantiate with the vendored Nixpkgs library and stubs for the NixOS options the module
// touches (nix/stubs.nix). What a NixOS user would meet: the polkit action naming the store path of the
// helper, what gets installed, and an assertion with a readable message for each missing prerequisite.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchAction } from '../../main/app/launch'
import { HELPER_IN_RESOURCES, installedHelper } from '../../main/app/privileged'
import { InstanceFile } from '../../main/engine/auto'

const project = resolve(import.meta.dirname, '../..')
const stateDir = mkdtempSync(join(tmpdir(), 'zdb-nix-'))
afterAll(() => rmSync(stateDir, { recursive: true, force: true }))

/**
 * The Nixpkgs library: $ZFS_DRIVE_BACKUP_NIXPKGS_LIB, else the vendored copy next to the project (CI runs a
 * clean clone beside ../shared), else this machine's. None found is a failure, not a skip.
 */
function nixpkgsLib(): string {
  const candidates = [process.env.ZFS_DRIVE_BACKUP_NIXPKGS_LIB, join(project, '../shared/vendor/nixpkgs-lib'), '/work/shared/vendor/nixpkgs-lib'].filter((p): p is string => !!p)
  for (const c of candidates) {
    if (existsSync(join(c, 'lib/default.nix'))) return join(c, 'lib')
    if (existsSync(join(c, 'default.nix')) && existsSync(join(c, 'modules.nix'))) return c
  }
  throw new Error(`the Nixpkgs library was not found (tried ${candidates.join(', ')}); set ZFS_DRIVE_BACKUP_NIXPKGS_LIB to a nixpkgs-lib checkout`)
}

async function nix(args: string[]): Promise<string> {
  const r = await execa('nix-instantiate', args, { env: { NIX_STATE_DIR: stateDir }, reject: false })
  if (r.exitCode !== 0) throw new Error(`nix-instantiate ${args.join(' ')} failed:\n${r.stderr}`)
  return r.stdout
}

interface System {
  failed: string[]
  packages: string[]
  policies: { path: string; text: string }[]
  polkit: boolean
  units: string[]
  udevPackages: string[]
  udevRules: string[]
  etc: Record<string, { mode: string; text: string }>
  unitConfig: Record<string, Record<string, unknown>>
}
interface Evaluated {
  appOutPath: string
  layout: { share: string; resources: string; helper: string; policyId: string }
  flake: { package: string; overlay: boolean; moduleDefaultPackage: string }
  package: { pname: string; version: string; buildPhase: string; installPhase: string; mainProgram: string; lockPackages: number; desktopItems: Record<string, unknown>[] }
  npmLock: { count: number; missing: string[]; zod: string; scoped: string }
  [system: string]: unknown
}

let ev: Evaluated
const sys = (name: string): System => ev[name] as System
beforeAll(async () => {
  const lib = nixpkgsLib()
  ev = JSON.parse(await nix(['--eval', '--strict', '--json', join(project, 'test/packaging/nix/eval.nix'), '--arg', 'lib', `import ${lib}`])) as Evaluated
})

describe('Nix files', () => {
  it('every .nix file parses', async () => {
    const files = ['flake.nix', ...readdirSync(join(project, 'nix')).map((f) => `nix/${f}`), ...readdirSync(join(project, 'test/packaging/nix')).map((f) => `test/packaging/nix/${f}`)].filter((f) => f.endsWith('.nix'))
    expect(files).toEqual(expect.arrayContaining(['flake.nix', 'nix/package.nix', 'nix/module.nix']))
    for (const f of files) await nix(['--parse', join(project, f)])
  })

  it('the flake offers the package, an overlay and the NixOS module, which defaults to that package', () => {
    expect(ev.flake).toEqual({ package: 'called-package.nix', overlay: true, moduleDefaultPackage: 'called-package.nix' })
  })

  it('the lockfile gives importNpmLock a URL and an integrity for every package (no hash to keep up to date)', () => {
    expect(ev.npmLock.count).toBeGreaterThan(100)
    expect(ev.npmLock.missing).toEqual([])
    expect(ev.npmLock.zod).toMatch(/^https:\/\/registry\.npmjs\.org\/zod\/-\/zod-\d+\.\d+\.\d+\.tgz$/)
    expect(ev.npmLock.scoped).toMatch(/^https:\/\/registry\.npmjs\.org\/@types\/node\/-\/node-[\d.]+\.tgz$/)
  })
})

describe('the package (nix/package.nix)', () => {
  it('builds with nixpkgs Electron and electron-builder --dir on the same config as the deb', () => {
    expect(ev.package).toMatchObject({ pname: 'zfs-drive-backup', version: '0.1.0', mainProgram: 'zfs-drive-backup' })
    expect(ev.package.buildPhase).toMatch(/electron-builder --dir --config build\/electron-builder\.config\.ts/)
    expect(ev.package.buildPhase).toMatch(/-c\.electronVersion=45\.5\.0/)
  })

  it('installs the helper wrapper next to the app archive, where the app looks for it, running the unpacked helper', () => {
    const { layout } = ev
    expect(layout.helper).toBe(`${layout.resources}/${HELPER_IN_RESOURCES}`)
    const install = ev.package.installPhase
    expect(install).toContain(`install -Dm755 /dev/stdin $out/${layout.helper} <<HELPER`)
    expect(install).toMatch(new RegExp(`exec \\S+/bin/node \\$out/${layout.resources}/app\\.asar\\.unpacked/out/main/helper\\.js`))
    // pkexec clears PATH; NixOS keeps the tools in the system profile.
    expect(install).toContain('export PATH=/run/booted-system/sw/bin:/run/current-system/sw/bin')
    expect(install).toMatch(new RegExp(`makeWrapper \\S+/bin/node \\$out/bin/zfs-drive-backup \\\\\\n\\s+--add-flags \\$out/${layout.resources}/app\\.asar\\.unpacked/out/main/cli\\.js`))
    expect(install).toMatch(new RegExp(`makeWrapper \\S+/bin/electron \\$out/bin/zfs-drive-backup-tray \\\\\\n\\s+--add-flags \\$out/${layout.resources}/app\\.asar`))
    expect(install).toContain('for size in 48 128 256; do')
    expect(install).toContain('build/icons/${size}x${size}.png $out/share/icons/hicolor/${size}x${size}/apps/zfs-drive-backup-tray.png')
    expect(install).toContain('$out/share/icons/hicolor/scalable/apps/zfs-drive-backup-tray.svg')
  })

  it('its desktop entry is the window class and has the same actions the app understands', () => {
    const [item] = ev.package.desktopItems as { startupWMClass: string; name: string; actions: Record<string, { exec: string }> }[]
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { desktopName: string }
    expect(item!.startupWMClass).toBe(pkg.desktopName.replace(/\.desktop$/, ''))
    expect(`${item!.name}.desktop`).toBe(pkg.desktopName)
    expect(launchAction(item!.actions.backup!.exec.split(' '))).toBe('backup')
    expect(launchAction(item!.actions.eject!.exec.split(' '))).toBe('eject')
  })
})

describe('programs.zfs-drive-backup.autoBackup (backup on plug)', () => {
  const GUID = '13251836079750056283'
  it('installs the udev rule on the pool GUID, the copied instance file and the template unit the CLI would write', () => {
    const s = sys('autoBackup')
    expect(s.failed).toEqual([])
    expect(s.units).toEqual(['zfs-drive-backup-auto@'])
    expect(s.unitConfig['zfs-drive-backup-auto@']).toMatchObject({ Type: 'oneshot', ExecStart: `${ev.appOutPath}/bin/zfs-drive-backup auto run %i`, KillMode: 'process' })
    const rule = s.udevRules.join('').split('\n').filter((l) => l && !l.startsWith('#'))
    expect(rule).toEqual([`ACTION=="add", SUBSYSTEM=="block", ENV{ID_FS_TYPE}=="zfs_member", ENV{ID_FS_UUID}=="${GUID}", RUN+="/run/current-system/systemd/bin/systemctl --no-block start zfs-drive-backup-auto@1000-${GUID}.service"`])
    const inst = s.etc[`zfs-drive-backup/auto/1000-${GUID}.json`]!
    // A mode makes NixOS copy the file: the service refuses an instance file that is a symlink.
    expect(inst.mode).toBe('0644')
    // The same instance file `auto enable` writes, which the service reads (main/engine/auto.ts).
    expect(InstanceFile.parse(JSON.parse(inst.text))).toEqual({ version: 1, uid: 1000, poolGuid: GUID, drive: 'Samsung T7', configPath: '/home/eds/.config/zfs-drive-backup/config.json', historyPath: '/home/eds/.local/state/zfs-drive-backup/history.jsonl' })
  })
})

describe('programs.zfs-drive-backup', () => {
  it('on a system that has everything: no assertion fails, and it installs the app, sanoid, pv and the polkit action', () => {
    const s = sys('good')
    expect(s.failed).toEqual([])
    expect(s.packages).toEqual(['zfs-drive-backup-0.1.0', 'sanoid-2.2.0', 'pv-1.8.5', `text-${ev.layout.policyId}.policy-0`])
    expect(s.polkit).toBe(true)
    // Without autoBackup drives nothing runs on its own.
    expect(s.units).toEqual([])
    expect(s.udevPackages).toEqual([])
  })

  it("its polkit action names the helper's store path exactly, the path the app runs", () => {
    const [policy] = sys('good').policies
    expect(sys('good').policies).toHaveLength(1)
    expect(policy!.path).toBe(`share/polkit-1/actions/${ev.layout.policyId}.policy`)
    const helper = `${ev.appOutPath}/${ev.layout.helper}`
    expect(/key="org\.freedesktop\.policykit\.exec\.path">([^<]+)</.exec(policy!.text)?.[1]).toBe(helper)
    expect(installedHelper(`${ev.appOutPath}/${ev.layout.resources}/app.asar`)).toBe(helper)
    // Otherwise it is the packages' policy, word for word (same action, same auth_admin_keep).
    const packaged = readFileSync(join(project, 'build/linux/io.github.zfsdrivebackup.helper.policy'), 'utf8')
    expect(policy!.text).toBe(packaged.replace('/opt/ZFS Drive Backup/resources/helper/zfs-drive-backup-helper', helper))
    expect(policy!.text).toContain(`<action id="${ev.layout.policyId}">`)
  })

  it('accepts boot.supportedFilesystems as a list or as a set', () => {
    expect(sys('supportedFilesystemsAsSet').failed).toEqual([])
  })

  it.each([
    ['noZfs', /add "zfs" to boot\.supportedFilesystems/],
    ['zfs_2_2_7', /OpenZFS >= 2\.2\.8 .* or >= 2\.3\.3: boot\.zfs\.package is 2\.2\.7/],
    ['zfs_2_3_2', /boot\.zfs\.package is 2\.3\.2, which has the raw-send snapshot corruption bug/],
    ['oldSanoidPackage', /sanoid\/syncoid >= 2\.2\.0, found 2\.1\.0/],
    ['oldServicesSanoid', /sanoid\/syncoid >= 2\.2\.0, found 2\.1\.0 .*services\.sanoid\.package/],
    ['noUdisks', /set services\.udisks2\.enable = true/],
  ])('%s: exactly its assertion fails, saying what to set', (name, message) => {
    const { failed } = sys(name)
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatch(message)
    expect(failed[0]).toMatch(/^programs\.zfs-drive-backup needs /)
  })

  it('OpenZFS 2.2.8 and 2.4.0 are fixed releases', () => {
    expect(sys('zfs_2_2_8').failed).toEqual([])
    expect(sys('zfs_2_4_0').failed).toEqual([])
  })

  it('disabled, it adds nothing to the system', () => {
    expect(sys('disabled')).toMatchObject({ failed: [], packages: [], policies: [], polkit: false, units: [] })
  })
})
