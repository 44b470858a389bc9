// What deb, rpm and pacman would install: the real electron-builder on the real config, fpm replaced by a
// stand-in that records what it was handed (capture.ts). Asserts what an installed system would show.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execaSync } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import FpmTarget from 'app-builder-lib/out/targets/FpmTarget'
import { getTemplatePath } from 'app-builder-lib/out/util/pathManager'
import { APP_DEPENDS, FORMATS, GUI_EXECUTABLE, INSTALL_DIR, POLICY_ID, PRODUCT, type LinuxFormat } from '../../build/electron-builder.config'
import { unpackedPath } from '../../main/app/launch'
import { installedHelper } from '../../main/app/privileged'
import { capturePackages, entry, type Capture } from './capture'

const work = mkdtempSync(join(tmpdir(), 'zdb-packaging-'))
let captured: Record<string, Capture> = {}
beforeAll(async () => {
  captured = await capturePackages({ outDir: work, targets: FORMATS })
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

const cap = (f: LinuxFormat): Capture => captured[f]!
const text = (c: Capture, path: string): string => readFileSync(join(c.dir, 'root', path), 'utf8')
const APP_ASAR = `${INSTALL_DIR}/resources/app.asar`
const HELPER = installedHelper(APP_ASAR)!
const POLICY = `/usr/share/polkit-1/actions/${POLICY_ID}.policy`
const DESKTOP = '/usr/share/applications/zfs-drive-backup.desktop'

/** The absolute paths a wrapper script runs ("$app/…" with its app='…'). */
function wrapperTargets(script: string): string[] {
  const app = /^app='([^']+)'$/m.exec(script)?.[1]
  expect(app, 'the wrapper names the install folder').toBeDefined()
  return [...script.matchAll(/"\$app(\/[^"]+)"/g)].map((m) => `${app}${m[1]}`)
}

function pngSize(file: string): number {
  const b = readFileSync(file)
  expect(b.subarray(1, 4).toString()).toBe('PNG')
  return b.readUInt32BE(16)
}

describe.each(FORMATS)('%s', (format) => {
  it('carries the metadata the format needs (maintainer with an email, homepage, license)', () => {
    const c = cap(format)
    expect(c).toMatchObject({ name: 'zfs-drive-backup', version: '0.1.0', license: 'MIT' })
    expect(['amd64', 'x86_64']).toContain(c.architecture)
    expect(c.maintainer).toMatch(/^[^<]+ <[^@>\s]+@[^>\s]+>$/)
    expect(c.url).toMatch(/^https:\/\//)
    expect(c.vendor).toBeTruthy()
    expect(c.description).toMatch(/encrypted ZFS/i)
  })

  it("depends on Electron's libraries and, on top, on ZFS, sanoid >= 2.2.0, pv, udisks2 and polkit", () => {
    const c = cap(format)
    const electrons = (FpmTarget.prototype as unknown as { getDefaultDepends(t: string): string[] }).getDefaultDepends(format)
    expect(electrons.length).toBeGreaterThan(3)
    expect(c.depends).toEqual([...electrons, ...APP_DEPENDS[format]])
    expect(c.depends.find((d) => d.startsWith('sanoid'))).toMatch(/^sanoid ?\(?>= ?2\.2\.0\)?$/)
    for (const needed of [/^(zfsutils-linux|zfs|zfs-utils)$/, /^pv$/, /^udisks2$/, /polkit/]) expect(c.depends.some((d) => needed.test(d))).toBe(true)
  })

  it('installs /usr/bin/zfs-drive-backup, the CLI, run by the bundled Electron as Node on an unpacked cli.js', () => {
    const c = cap(format)
    expect(entry(c, '/usr/bin/zfs-drive-backup')).toMatchObject({ type: 'file', mode: 0o755 })
    const script = text(c, '/usr/bin/zfs-drive-backup')
    expect(script).toMatch(/ELECTRON_RUN_AS_NODE=1 exec/)
    const [exe, cli] = wrapperTargets(script)
    expect(exe).toBe(`${INSTALL_DIR}/${GUI_EXECUTABLE}`)
    expect(entry(c, exe!)).toMatchObject({ type: 'file', mode: 0o755 })
    expect(cli).toBe(`${unpackedPath(APP_ASAR)}/out/main/cli.js`)
    expect(entry(c, cli!)?.type).toBe('file')
  })

  it('ships the helper where the app looks for it, root-run and not writable by others, and the polkit action naming it', () => {
    const c = cap(format)
    expect(entry(c, HELPER)).toMatchObject({ type: 'file', mode: 0o755 })
    const [exe, helper] = wrapperTargets(text(c, HELPER))
    expect(entry(c, exe!)).toMatchObject({ mode: 0o755 })
    expect(helper).toBe(`${unpackedPath(APP_ASAR)}/out/main/helper.js`)
    expect(entry(c, helper!)?.type).toBe('file')
    expect(entry(c, POLICY)).toMatchObject({ type: 'file', mode: 0o644 })
    const policy = text(c, POLICY)
    expect(policy).toContain(`<action id="${POLICY_ID}">`)
    expect(/key="org\.freedesktop\.policykit\.exec\.path">([^<]+)</.exec(policy)?.[1]).toBe(HELPER)
    expect(policy).toMatch(/<allow_active>auth_admin_keep<\/allow_active>/)
    for (const f of c.files.filter((f) => f.type !== 'link')) expect(f.mode & 0o022, `${f.path} is writable by group or others`).toBe(0)
  })

  it('installs the man page generated from the verb tables', () => {
    const c = cap(format)
    expect(entry(c, '/usr/share/man/man1/zfs-drive-backup.1'), 'zfs-drive-backup.1').toMatchObject({ mode: 0o644 })
    expect(text(c, '/usr/share/man/man1/zfs-drive-backup.1')).toBe(readFileSync(join(import.meta.dirname, '../../build/linux/zfs-drive-backup.1'), 'utf8'))
  })

  it('every module the unpacked CLI and helper load is unpacked too (plain Node cannot read into app.asar)', () => {
    const c = cap(format)
    const unpacked = unpackedPath(APP_ASAR)
    const js = c.files.filter((f) => f.type === 'file' && f.path.startsWith(`${unpacked}/out/main/`) && f.path.endsWith('.js') && !f.path.endsWith('/index.js'))
    expect(js.length).toBeGreaterThanOrEqual(3)
    const bare = new Set<string>()
    for (const f of js) for (const m of text(c, f.path).matchAll(/require\("([^".][^"]*)"\)/g)) bare.add(m[1]!.split('/')[0]!)
    const builtins = new Set(['fs', 'path', 'child_process', 'os', 'util', 'events', 'stream', 'tty', 'url', 'crypto', 'buffer', 'process'])
    for (const mod of [...bare].filter((m) => !m.startsWith('node:') && !builtins.has(m))) {
      expect(entry(c, `${unpacked}/node_modules/${mod}/package.json`), `${mod} is unpacked`).toBeDefined()
    }
  })

  it('a valid .desktop file named for the window class, with its actions, hicolor icons and a notification icon on disk', () => {
    const c = cap(format)
    expect(entry(c, DESKTOP)).toMatchObject({ mode: 0o644 })
    const file = join(c.dir, 'root', DESKTOP)
    const v = execaSync('desktop-file-validate', [file], { reject: false })
    expect(v.failed && v.exitCode === undefined, 'desktop-file-validate (Debian: desktop-file-utils) is installed').toBe(false)
    expect(`${v.stdout}${v.stderr}`).toBe('')
    expect(v.exitCode).toBe(0)
    const desktop = readFileSync(file, 'utf8')
    const key = (k: string, d = desktop): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(d)?.[1]
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { desktopName: string }
    // Electron takes the window's WM_CLASS / Wayland app_id from package.json's desktopName.
    expect(key('StartupWMClass')).toBe(pkg.desktopName.replace(/\.desktop$/, ''))
    expect(key('Name')).toBe(PRODUCT)
    expect(key('Exec')).toBe(`"${INSTALL_DIR}/${GUI_EXECUTABLE}" %U`)
    expect(key('Actions')).toBe('backup;eject;')
    for (const [action, flag] of [['backup', '--backup-now'], ['eject', '--eject']]) {
      const group = desktop.split(`[Desktop Action ${action}]`)[1]?.split('\n[')[0]
      expect(group, `[Desktop Action ${action}]`).toBeDefined()
      expect(key('Exec', group)).toBe(`"${INSTALL_DIR}/${GUI_EXECUTABLE}" ${flag}`)
    }
    const icon = key('Icon')!
    for (const size of [48, 128, 256]) {
      const png = `/usr/share/icons/hicolor/${size}x${size}/apps/${icon}.png`
      expect(entry(c, png), png).toMatchObject({ mode: 0o644 })
      expect(pngSize(join(c.dir, 'root', png))).toBe(size)
    }
    expect(text(c, `/usr/share/icons/hicolor/scalable/apps/${icon}.svg`)).toMatch(/<svg[\s>]/)
    // main/index.ts hands the notification daemon the unpacked copy of assets/icon.png.
    expect(entry(c, unpackedPath(`${APP_ASAR}/assets/icon.png`))?.type).toBe('file')
  })

  it("after-install is electron-builder's own (sandbox mode, AppArmor, link) with the app's steps after it", () => {
    const c = cap(format)
    const script = c.scripts['after-install']!
    expect(script).toContain(builderTemplate('after-install.tpl').split('\n').slice(1).join('\n').trim())
    expect(script).toContain(`chmod 4755 '${INSTALL_DIR}/chrome-sandbox'`)
    expect(script).toContain(`update-alternatives --install '/usr/bin/${GUI_EXECUTABLE}'`)
    expect(script).toContain('apparmor_parser')
    expect(script.trimEnd().endsWith(readFileSync(join(import.meta.dirname, '../../build/linux/after-install.sh'), 'utf8').trim())).toBe(true)
    // Helper, policy and CLI are package files: the package manager removes them, no script touches them.
    for (const s of Object.values(c.scripts)) expect(s).not.toMatch(/polkit-1\/actions|resources\/helper|\/usr\/bin\/zfs-drive-backup['"\s]/)
  })

  it('after-remove keeps electron-builder’s steps and runs them on a real removal only, never on an upgrade', () => {
    const c = cap(format)
    expect(c.scripts['after-remove']).toContain(builderTemplate('after-remove.tpl').split('\n').slice(1).join('\n').trim())
    const calls = { upgrade: UPGRADE_ARGS[format], removal: REMOVAL_ARGS[format] }
    if (calls.upgrade) expect(runRemoveScript(c, calls.upgrade)).toEqual([])
    expect(runRemoveScript(c, calls.removal)).toEqual([`update-alternatives --remove ${GUI_EXECUTABLE} ${INSTALL_DIR}/${GUI_EXECUTABLE}`, 'gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor'])
  })
})

/** How each format calls its post-remove script on an upgrade (pacman: never) and on a removal. */
const UPGRADE_ARGS: Record<LinuxFormat, string[] | null> = { deb: ['upgrade', '0.1.1'], rpm: ['1'], pacman: null }
const REMOVAL_ARGS: Record<LinuxFormat, string[]> = { deb: ['remove'], rpm: ['0'], pacman: ['0.1.0-1'] }

function builderTemplate(name: string): string {
  return readFileSync(getTemplatePath(`linux/${name}`), 'utf8').replaceAll('${executable}', GUI_EXECUTABLE).replaceAll('${sanitizedProductName}', PRODUCT)
}

/** Runs the captured post-remove with the system tools it calls replaced by recorders; returns the calls. */
function runRemoveScript(c: Capture, args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-postrm-'))
  try {
    mkdirSync(join(dir, 'bin'))
    for (const tool of ['update-alternatives', 'gtk-update-icon-cache', 'apparmor_parser']) {
      writeFileSync(join(dir, 'bin', tool), `#!/bin/sh\necho "${tool} $*" >> "${dir}/calls"\n`)
      chmodSync(join(dir, 'bin', tool), 0o755)
    }
    writeFileSync(join(dir, 'bin', 'apparmor_status'), '#!/bin/sh\nexit 1\n')
    chmodSync(join(dir, 'bin', 'apparmor_status'), 0o755)
    writeFileSync(join(dir, 'calls'), '')
    execaSync('bash', [join(c.dir, 'scripts/after-remove'), ...args], { env: { PATH: `${dir}/bin:/usr/bin:/bin` }, extendEnv: false })
    return readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
