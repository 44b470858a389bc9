// The .deb as a user gets it: electron-builder (real config, stand-in fpm: test/packaging/capture.ts, run
// on the host by run-tests.ts into the shared folder) gives the file list and scripts it hands fpm;
// dpkg-deb makes a .deb of exactly that, and dpkg installs,
// upgrades and purges it on this real Debian with OpenZFS, sanoid 2.2.0, udisks2 and polkit. Node stands
// in for the Electron binary (it cannot be fetched here): the package's wrappers start it as Node anyway.
// Run `electron-vite build` first.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunEvent } from '../../shared/events'
import { APP_DEPENDS, GUI_EXECUTABLE, INSTALL_DIR, POLICY_ID } from '../../build/electron-builder.config'
import { installedHelper } from '../../main/app/privileged'
import { capturePackages, type Capture } from '../packaging/capture'
import { guestShare, saveArtifact } from './guest/env'
import { unplug } from './guest/drives'
import { configFor, importedPools, makeBackupDrive, makeSource, snap, writeRandom, type BackupDrive, type SourcePool } from './guest/pools'
import { sh } from './guest/sh'

const work = '/var/tmp/zdb-package'
const USER = 'zdbuser'
const POOL = 'pkgbk'
const HELPER = installedHelper(`${INSTALL_DIR}/resources/app.asar`)!
const POLICY = `/usr/share/polkit-1/actions/${POLICY_ID}.policy`
const RULE = '/etc/polkit-1/rules.d/50-zdb-package-test.rules'
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
// Where a package leaves traces: compared before install and after purge.
const WATCHED = ['/opt', '/usr/bin', '/usr/share/applications', '/usr/share/icons', '/usr/share/polkit-1', '/etc/alternatives', '/var/lib/dpkg/alternatives', '/etc/apparmor.d']

let deb: Capture
let src: SourcePool
let drive: BackupDrive
let before: string[]

/**
 * A .deb of the captured tree, with the captured metadata and scripts as control, postinst and postrm.
 * The tree is copied out of the shared folder once; the upgrade's .deb differs only in its version.
 */
async function makeDeb(c: Capture, version: string): Promise<string> {
  const stage = join(work, 'stage')
  if (!existsSync(stage)) {
    cpSync(join(c.dir, 'root'), stage, { recursive: true, verbatimSymlinks: true })
    // The modes electron-builder staged, as recorded (not as the shared folder happens to show them).
    for (const f of c.files) if (f.type !== 'link') chmodSync(join(stage, f.path), f.mode)
    mkdirSync(join(stage, 'DEBIAN'))
    cpSync(join(c.dir, 'scripts/after-install'), join(stage, 'DEBIAN/postinst'))
    cpSync(join(c.dir, 'scripts/after-remove'), join(stage, 'DEBIAN/postrm'))
    await sh(['chmod', '0755', join(stage, 'DEBIAN/postinst'), join(stage, 'DEBIAN/postrm')])
  }
  const control = [
    `Package: ${c.name}`, `Version: ${version}`, `Architecture: ${c.architecture}`, `Maintainer: ${c.maintainer}`,
    `Depends: ${c.depends.join(', ')}`, `Recommends: ${c.recommends.join(', ')}`, 'Priority: optional', `Homepage: ${c.url}`,
    `Description: ${c.description}`,
  ]
  writeFileSync(join(stage, 'DEBIAN/control'), control.join('\n') + '\n')
  const out = join(work, `${c.name}_${version}_${c.architecture}.deb`)
  // Uncompressed: xz under emulation costs minutes and proves nothing here.
  await sh(['dpkg-deb', '--root-owner-group', '-Znone', '--build', stage, out])
  return out
}

/**
 * dpkg -i without Electron's GUI libraries in this headless guest (the app's own dependencies are checked
 * below), and without an fsync per file, which under emulation costs a minute for ~800 files.
 */
const install = (file: string) => sh(['dpkg', '--force-depends', '--force-unsafe-io', '-i', file])

async function listing(): Promise<string[]> {
  const roots = WATCHED.filter((p) => existsSync(p))
  const { stdout } = await sh(['find', ...roots, '-xdev', '-printf', '%M %u:%g %p -> %l\n'])
  return stdout.split('\n').filter(Boolean).sort()
}

/** The installed helper as a normal user through pkexec: the job on stdin, events back on stdout. */
async function pkexecHelper(job: object | string): Promise<{ exitCode: number | null; events: RunEvent[]; lines: string[]; stderr: string }> {
  const child = execa('runuser', ['-u', USER, '--', 'pkexec', HELPER], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false }, env: { PATH: SYSTEM_PATH }, extendEnv: false })
  const lines: string[] = []
  let buf = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      lines.push(line)
      // A run stops when stdin closes: close it only once the helper has said it finished.
      if (line.includes('"run-finished"')) child.stdin!.end()
    }
  })
  child.stdin!.on('error', () => undefined)
  child.stdin!.write((typeof job === 'string' ? job : JSON.stringify(job)) + '\n')
  const r = await child
  return { exitCode: r.exitCode ?? null, lines, events: lines.map((l) => RunEvent.parse(JSON.parse(l))), stderr: String(r.stderr) }
}

/** What the host captured into the shared folder; captured here instead (minutes under emulation) when absent. */
async function capturedDeb(): Promise<Capture> {
  const dir = join(guestShare(), 'package/fpm/deb')
  if (existsSync(join(dir, 'capture.json'))) return { ...(JSON.parse(readFileSync(join(dir, 'capture.json'), 'utf8')) as Capture), dir }
  const captured = await capturePackages({ outDir: work, targets: ['deb'], node: process.execPath })
  return captured.deb!
}

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  before = await listing()
  deb = await capturedDeb()
  src = await makeSource('pkglap')
  writeRandom(src, 'notes.bin', 8)
  await snap(src, 'daily')
  drive = await makeBackupDrive('pkg1', POOL)
  await sh(['useradd', '--create-home', USER], { ok: false })
  const home = (await sh(['getent', 'passwd', USER])).stdout.split(':')[5]!
  // The helper reads only the pkexec user's own config, where the app writes it.
  const config = join(home, '.config/zfs-drive-backup/config.json')
  mkdirSync(dirname(config), { recursive: true, mode: 0o700 })
  writeFileSync(config, JSON.stringify(configFor(src, [{ name: 'T7', drive }])), { mode: 0o600 })
  await sh(['chown', '-R', `${USER}:`, join(home, '.config')])
  // Only this user, only the app's action: pkexec of anything else still needs a password (and no agent runs).
  writeFileSync(RULE, `polkit.addRule(function (action, subject) {\n  if (action.id == "${POLICY_ID}" && subject.user == "${USER}") return polkit.Result.YES;\n});\n`)
})

afterAll(async () => {
  await sh(['dpkg', '--purge', 'zfs-drive-backup'], { ok: false })
  rmSync(RULE, { force: true })
  await sh(['userdel', '--remove', USER], { ok: false })
  for (const p of await importedPools()) if (p === POOL) await sh(['zpool', 'export', '-f', p], { ok: false })
  // Powered off or not, the drive is still on QEMU's bus until it is pulled.
  if (drive) await unplug(drive.usb).catch(() => undefined)
  if (src) await sh(['zpool', 'destroy', '-f', src.pool], { ok: false })
  rmSync(work, { recursive: true, force: true })
})

const configPath = async () => join((await sh(['getent', 'passwd', USER])).stdout.split(':')[5]!, '.config/zfs-drive-backup/config.json')

describe('the .deb, installed with dpkg', () => {
  it('installs, runs its after-install (tray app link, chrome-sandbox mode) and owns the helper and the policy', async () => {
    const r = await install(await makeDeb(deb, '0.1.0'))
    saveArtifact('package/dpkg-install.txt', `${r.stdout}\n${r.stderr}`)
    expect((await sh(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'zfs-drive-backup'])).stdout).toBe('install ok installed 0.1.0')
    expect((await sh(['readlink', '-f', `/usr/bin/${GUI_EXECUTABLE}`])).stdout.trim()).toBe(`${INSTALL_DIR}/${GUI_EXECUTABLE}`)
    expect(['-rwsr-xr-x', '-rwxr-xr-x']).toContain((await sh(['stat', '-c', '%A', `${INSTALL_DIR}/chrome-sandbox`])).stdout.trim())
    expect((await sh(['stat', '-c', '%A %U:%G', HELPER])).stdout.trim()).toBe('-rwxr-xr-x root:root')
    expect((await sh(['stat', '-c', '%A %U:%G', POLICY])).stdout.trim()).toBe('-rw-r--r-- root:root')
    const owned = (await sh(['dpkg-query', '-L', 'zfs-drive-backup'])).stdout.split('\n')
    expect(owned).toEqual(expect.arrayContaining([HELPER, POLICY, '/usr/bin/zfs-drive-backup']))
  })

  it("the app's own dependencies are satisfied here (sanoid >= 2.2.0 included); only Electron's GUI libraries were forced", async () => {
    for (const group of APP_DEPENDS.deb) {
      const alternatives = group.split('|').map((a) => /^\s*(\S+)(?:\s*\((>=)\s*([^)]+)\))?/.exec(a)!)
      let ok = false
      for (const [, name, , min] of alternatives) {
        const q = await sh(['dpkg-query', '-W', '-f', '${Status} ${Version}', name!], { ok: false })
        const [, , status, version] = /^(\S+ \S+ (\S+)) (\S+)$/.exec(q.stdout.trim()) ?? []
        if (status !== 'installed') continue
        ok = !min || (await sh(['dpkg', '--compare-versions', version!, 'ge', min], { ok: false })).exitCode === 0
        if (ok) break
      }
      expect(ok, `${group} is installed`).toBe(true)
    }
  })

  it('`zfs-drive-backup doctor` runs from the system PATH and finds every tool', async () => {
    expect((await sh(['sh', '-c', `PATH=${SYSTEM_PATH}; command -v zfs-drive-backup`])).stdout.trim()).toBe('/usr/bin/zfs-drive-backup')
    const r = await execa('zfs-drive-backup', ['doctor', '--json'], { env: { PATH: SYSTEM_PATH }, extendEnv: false, reject: false })
    saveArtifact('package/doctor.jsonl', `${r.stdout}\n# exit ${r.exitCode}\n${r.stderr}`)
    const checks = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; ok: boolean; detail?: string })
    // The default (native) engine needs neither syncoid nor pv; setpriv makes its transfer die with the run.
    const tools = ['zfs', 'setpriv', 'udisksctl', 'pkexec']
    expect(checks.filter((c) => tools.includes(c.id))).toEqual(tools.map((id) => expect.objectContaining({ id, ok: true })))
    // It reads the kernel module's version too (this image's 2.3.2 lacks the raw-send fix: a warning).
    expect(checks.find((c) => c.id === 'zfs-version')?.detail).toMatch(/kernel module \d+\.\d+\.\d+/)
    expect(r.exitCode).toBe(0)
  })

  it('pkexec of the installed helper, authorised through the installed policy, backs up to the plugged drive and powers it off', async () => {
    // pkaction reads the installed action: its exec.path is the installed helper.
    const action = await sh(['pkaction', '--action-id', POLICY_ID, '--verbose'])
    expect(action.stdout).toContain(`org.freedesktop.policykit.exec.path -> ${HELPER}`)
    // Control: the rule grants only the app's action, so pkexec of any other program is refused.
    const other = await execa('runuser', ['-u', USER, '--', 'pkexec', '/usr/bin/id'], { reject: false, env: { PATH: SYSTEM_PATH }, extendEnv: false })
    expect(other.exitCode).toBe(127)
    const r = await pkexecHelper({ verb: 'backup', configPath: await configPath(), drive: 'T7' })
    saveArtifact('package/pkexec-backup.jsonl', `${r.lines.join('\n')}\n# exit ${r.exitCode}\n# stderr\n${r.stderr}\n`)
    expect(r.events[0]).toMatchObject({ type: 'run-started', verb: 'backup', drive: 'T7' })
    expect(r.events.find((e) => e.type === 'error')).toBeUndefined()
    expect(r.events.some((e) => e.type === 'progress' && e.bytes > 0)).toBe(true)
    expect(r.events.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'succeeded' })
    expect(r.exitCode).toBe(0)
    expect(existsSync(drive.usb.byId)).toBe(false)
  })

  it('an upgrade keeps the helper, the policy and the links (the old postrm sees "upgrade" and does nothing)', async () => {
    const helperBefore = readFileSync(HELPER, 'utf8')
    const policyBefore = readFileSync(POLICY, 'utf8')
    const r = await install(await makeDeb(deb, '0.1.1'))
    saveArtifact('package/dpkg-upgrade.txt', `${r.stdout}\n${r.stderr}`)
    expect((await sh(['dpkg-query', '-W', '-f', '${Version}', 'zfs-drive-backup'])).stdout).toBe('0.1.1')
    expect(readFileSync(HELPER, 'utf8')).toBe(helperBefore)
    expect(readFileSync(POLICY, 'utf8')).toBe(policyBefore)
    expect((await sh(['readlink', '-f', `/usr/bin/${GUI_EXECUTABLE}`])).stdout.trim()).toBe(`${INSTALL_DIR}/${GUI_EXECUTABLE}`)
    // Still authorised and still running as root: a malformed job is refused by the helper itself.
    const refused = await pkexecHelper('not a job')
    expect(refused.exitCode).toBe(2)
    expect(refused.events).toEqual([expect.objectContaining({ type: 'error' })])
  })

  it('dpkg --purge leaves nothing behind', async () => {
    await sh(['dpkg', '--purge', 'zfs-drive-backup'])
    expect((await sh(['dpkg-query', '-W', '-f', '${Status}', 'zfs-drive-backup'], { ok: false })).stdout).not.toMatch(/installed/)
    expect((await sh(['update-alternatives', '--query', GUI_EXECUTABLE], { ok: false })).exitCode).not.toBe(0)
    const after = await listing()
    expect(after.filter((l) => !before.includes(l))).toEqual([])
    expect(before.filter((l) => !after.includes(l))).toEqual([])
  })
})
