// Packaging: deb, rpm and pacman (electron-builder hands each to fpm). An AppImage cannot install a polkit
// action (and root cannot read its FUSE mount), so it is not offered.
//
// Code rather than YAML because three things are computed from the installed electron-builder, so they
// follow it when it changes instead of going stale:
//  - after-install/after-remove: electron-builder's own templates (the /usr/bin link to the tray app,
//    chrome-sandbox's mode, the AppArmor profile) with the app's steps appended. A custom script replaces
//    the template outright, which is how the first packages lost those steps.
//  - after-remove starts with a guard per format, so it acts on a real removal only, never on an upgrade
//    (an rpm upgrade runs the old package's %postun after the new one's %post).
//  - dependencies: electron-builder's list for Electron's libraries plus the app's own. A `depends` list
//    replaces electron-builder's instead of adding to it.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Configuration } from 'electron-builder'
import FpmTarget from 'app-builder-lib/out/targets/FpmTarget'
import { getTemplatePath } from 'app-builder-lib/out/util/pathManager'

export type LinuxFormat = 'deb' | 'rpm' | 'pacman'
export const FORMATS: readonly LinuxFormat[] = ['deb', 'rpm', 'pacman']

export const PRODUCT = 'ZFS Drive Backup'
/** The tray app's binary. Not `zfs-drive-backup`: that is the CLI's name in /usr/bin. */
export const GUI_EXECUTABLE = 'zfs-drive-backup-tray'
export const INSTALL_DIR = `/opt/${PRODUCT}`
export const POLICY_ID = 'io.github.zfsdrivebackup.helper'

/** What the app needs at run time, per format, on top of Electron's libraries. */
export const APP_DEPENDS: Record<LinuxFormat, string[]> = {
  // Debian 12 ships sanoid 2.1.0, which rejects the guide's flags; bookworm has pkexec and polkitd split
  // out, older releases ship both in policykit-1.
  deb: ['zfsutils-linux', 'sanoid (>= 2.2.0)', 'pv', 'udisks2', 'pkexec | policykit-1', 'polkitd | policykit-1'],
  // Fedora: OpenZFS's own repository names the tools `zfs`; pkexec is part of `polkit`.
  rpm: ['zfs', 'sanoid >= 2.2.0', 'pv', 'udisks2', 'polkit'],
  // Arch: zfs-utils (archzfs) and sanoid (AUR) come from outside the official repositories.
  pacman: ['zfs-utils', 'sanoid>=2.2.0', 'pv', 'udisks2', 'polkit'],
}

/** The first argument each format's post-remove script gets when the package is really going away. */
const REMOVAL_GUARD: Record<LinuxFormat, string> = {
  // dpkg: postrm remove|purge|upgrade|failed-upgrade|abort-*|disappear. Purge follows a remove, which did the work.
  deb: 'case "$1" in remove|disappear) ;; *) exit 0 ;; esac',
  // rpm: %postun gets the number of versions left installed: 0 is an erase, 1 or more an upgrade.
  rpm: '[ "$1" = 0 ] || exit 0',
  // pacman: post_remove runs on removal only (an upgrade runs post_upgrade), and inside a function.
  pacman: '',
}

function electronDepends(format: LinuxFormat): string[] {
  const proto = FpmTarget.prototype as unknown as { getDefaultDepends(target: string): string[] }
  return proto.getDefaultDepends(format)
}

export function dependsFor(format: LinuxFormat): string[] {
  return [...electronDepends(format), ...APP_DEPENDS[format]]
}

/** electron-builder's template with a guard after its shebang and the app's steps at the end. */
export function composeScript(template: string, ours: string, guard = ''): string {
  const nl = template.indexOf('\n')
  const [shebang, body] = template.startsWith('#!') ? [template.slice(0, nl + 1), template.slice(nl + 1)] : ['#!/bin/bash\n', template]
  const head = guard ? `${shebang}# Only on a real removal (see build/electron-builder.config.ts).\n${guard}\n` : shebang
  return `${head}${body.trimEnd()}\n\n${ours.trim()}\n`
}

/** Writes the scripts and the package files with explicit modes (a checkout's umask must not leak into them). */
function stage(projectDir: string): { dir: string; scripts: Record<LinuxFormat, { afterInstall: string; afterRemove: string }> } {
  const dir = join(projectDir, 'build/linux/.generated')
  mkdirSync(dir, { recursive: true })
  const own = (name: string): string => readFileSync(join(projectDir, 'build/linux', name), 'utf8')
  const tpl = (name: string): string => readFileSync(getTemplatePath(`linux/${name}`), 'utf8')
  const afterInstall = join(dir, 'after-install.tpl')
  writeFileSync(afterInstall, composeScript(tpl('after-install.tpl'), own('after-install.sh')))
  const scripts = {} as Record<LinuxFormat, { afterInstall: string; afterRemove: string }>
  for (const format of FORMATS) {
    const afterRemove = join(dir, `after-remove-${format}.tpl`)
    writeFileSync(afterRemove, composeScript(tpl('after-remove.tpl'), own('after-remove.sh'), REMOVAL_GUARD[format]))
    scripts[format] = { afterInstall, afterRemove }
  }
  const files: [string, number][] = [['zfs-drive-backup', 0o755], ['zfs-drive-backup-helper', 0o755], ['zfs-drive-backup-setup-helper', 0o755], [`${POLICY_ID}.policy`, 0o644]]
  for (const [name, mode] of files) {
    copyFileSync(join(projectDir, 'build/linux', name), join(dir, name))
    chmodSync(join(dir, name), mode)
  }
  return { dir, scripts }
}

/** A module and every module it needs at run time (its dependencies, and optional ones that are installed). */
export function withDependencies(projectDir: string, name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [...seen]
  let pkg: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
  try {
    pkg = JSON.parse(readFileSync(join(projectDir, 'node_modules', name, 'package.json'), 'utf8'))
  } catch {
    return [...seen]
  }
  seen.add(name)
  for (const d of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) withDependencies(projectDir, d, seen)
  return [...seen]
}

/** Files the packages own outside the app folder, as fpm `source=destination` arguments. */
function packageFiles(projectDir: string, dir: string): string[] {
  return [
    `${join(dir, 'zfs-drive-backup')}=/usr/bin/zfs-drive-backup`,
    // The helper sits next to the app archive, where the app looks for it (main/app/privileged.ts).
    `${join(dir, 'zfs-drive-backup-helper')}=${INSTALL_DIR}/resources/helper/zfs-drive-backup-helper`,
    // Setup and adopt: the same helper under the setup action (a password every time).
    `${join(dir, 'zfs-drive-backup-setup-helper')}=${INSTALL_DIR}/resources/helper/zfs-drive-backup-setup-helper`,
    `${join(dir, `${POLICY_ID}.policy`)}=/usr/share/polkit-1/actions/${POLICY_ID}.policy`,
    // electron-builder installs the PNG sizes from build/icons; the scalable one is added here.
    `${join(projectDir, 'build/icons/scalable.svg')}=/usr/share/icons/hicolor/scalable/apps/${GUI_EXECUTABLE}.svg`,
    // Generated from the CLI's verb tables (npm run generate).
    `${join(projectDir, 'build/linux/zfs-drive-backup.1')}=/usr/share/man/man1/zfs-drive-backup.1`,
  ]
}

export function config(projectDir: string = fileURLToPath(new URL('..', import.meta.url))): Configuration {
  const { dir, scripts } = stage(projectDir)
  const files = packageFiles(projectDir, dir)
  const perFormat = (format: LinuxFormat) => ({
    depends: dependsFor(format),
    afterInstall: scripts[format].afterInstall,
    afterRemove: scripts[format].afterRemove,
    fpm: files,
  })
  const action = (what: string, flag: string) => ({ Name: what, Exec: `"${INSTALL_DIR}/${GUI_EXECUTABLE}" ${flag}` })
  return {
    appId: 'io.github.zfsdrivebackup.app',
    productName: PRODUCT,
    executableName: GUI_EXECUTABLE,
    directories: { output: 'dist', buildResources: 'build' },
    files: ['out/**', 'assets/**', 'package.json'],
    // The CLI and the helper run on Node outside Electron's archive support (and the notification daemon
    // reads the icon): they and the modules they load stay real files (dbus-next: the backup-on-plug
    // service tells the user's desktop how its run ended).
    asarUnpack: ['out/main/**', ...['zod', 'dbus-next'].flatMap((m) => withDependencies(projectDir, m)).map((m) => `node_modules/${m}/**`), 'assets/icon.png'],
    npmRebuild: false,
    linux: {
      target: [...FORMATS],
      // Backup tools sit under Utility;Archiving (the spec's Archiving needs Utility next to it).
      category: 'Utility;Archiving;',
      icon: 'build/icons',
      synopsis: 'Encrypted ZFS backups to an external drive',
      // Also the .desktop Comment (electron-builder writes it there), so one short sentence.
      description: 'Back up encrypted ZFS datasets to an external drive: plug in, one click, safe to unplug.',
      maintainer: 'ZFS Drive Backup developers <zfs-drive-backup@example.invalid>',
      vendor: 'ZFS Drive Backup developers',
      // The .desktop file is named after package.json's desktopName, which Electron also uses as the
      // window's class and Wayland app_id: the running window belongs to this entry.
      syncDesktopName: true,
      desktop: {
        entry: {
          Name: PRODUCT,
          GenericName: 'Backup',
          Keywords: 'zfs;backup;usb;sanoid;syncoid;',
          Actions: 'backup;eject;',
        },
        desktopActions: { backup: action('Back up now', '--backup-now'), eject: action('Eject the backup drive', '--eject') },
      },
    },
    deb: { ...perFormat('deb'), priority: 'optional' },
    rpm: perFormat('rpm'),
    pacman: perFormat('pacman'),
  }
}

// electron-builder calls this when it loads the file; importing it (the tests do) writes nothing.
export default (): Configuration => config()
