// Backup on plug switched on or off for one drive, and whether it is on: one answer each for both shells.
// The CLI's `auto enable|disable` and the helper's `auto` verb (the window's switch) run the same
// pipeline; the CLI's `status` and the window's drive card ask the same question (autoBackupState).
//
// Root installs the rule, instance and unit (main/engine/auto.ts); the drive's "autoBackup" in the
// user's config is the user's to write: the pipeline reports it in an `auto-backup` event and the
// unprivileged side (the CLI after dropping root, the app) records it with recordAutoBackup.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { AutoBackupState } from '../../shared/wire'
import { loadConfig, saveConfig } from '../config/load'
import type { Config, DriveConfig } from '../config/schema'
import type { Emit } from '../../shared/events'
import type { Runner } from '../system/runner'
import { DEFAULT_AUTO_PATHS, disableAuto, enableAuto, instanceName, unitName, type AutoPaths } from './auto'
import { EngineError } from './errors'
import { runPipeline, type Outcome, type Step } from './pipeline'
import { pickDrive, requireRoot } from './preflight'
import { which } from './tools'

/** The fixed PATH the service runs with (NixOS tools included), like the helper's. */
export const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/current-system/sw/bin'

/** What the service runs: the CLI script with this runtime ("auto run %i" is appended by the unit). */
export interface ServiceCommand {
  command: string[]
  environment: Record<string, string>
}

/** The packaged CLI runs on Electron's bundled Node (see build/linux/zfs-drive-backup). */
export function serviceCommand(cliScript: string, execPath: string = process.execPath, electron = Boolean(process.versions.electron)): ServiceCommand {
  if (!cliScript.startsWith('/') || !execPath.startsWith('/')) throw new Error('the service needs absolute paths to the runtime and the CLI')
  return { command: [execPath, cliScript], environment: { PATH: SERVICE_PATH, ...(electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) } }
}

/** Whose config and history the service uses. */
export interface AutoOwner {
  uid: number
  configPath: string
  historyPath: string
}

export interface AutoSwitchOptions {
  config: Config
  driveName?: string
  on: boolean
  owner: AutoOwner
  service: ServiceCommand
  runner: Runner
  emit: Emit
  signal: AbortSignal
  paths?: AutoPaths
  /** NixOS declares this in the system configuration; /etc is not ours to write there. */
  nixosMarker?: string
  /** systemctl's absolute path for the rule (looked up on SERVICE_PATH when absent). */
  systemctl?: string
}

const NIXOS_HINT = (d: DriveConfig, uid: number): string =>
  `Declare it in configuration.nix: programs.zfs-drive-backup.autoBackup.${JSON.stringify(d.name)} = { uid = ${uid}; home = "…"; poolGuid = "${d.poolGuid}"; }; then nixos-rebuild switch.`

export async function switchAutoBackup(o: AutoSwitchOptions): Promise<Outcome> {
  const paths = o.paths ?? DEFAULT_AUTO_PATHS
  const step: Step<null> = {
    id: o.on ? 'install' : 'remove',
    title: o.on ? 'Install the udev rule and the service for this drive' : 'Remove the udev rule and the service for this drive',
    async run(ctx) {
      const drive = pickDrive(o.config, o.driveName)
      requireRoot('Backup on plug installs a udev rule and a systemd service')
      if (existsSync(o.nixosMarker ?? '/etc/NIXOS')) throw new EngineError('auto-nixos', 'On NixOS, backup on plug is part of the system configuration.', NIXOS_HINT(drive, o.owner.uid))
      const unit = unitName(instanceName(o.owner.uid, drive.poolGuid))
      let files: string[]
      if (o.on) {
        const systemctl = o.systemctl ?? which('systemctl', SERVICE_PATH)
        if (!systemctl) throw new EngineError('tool-missing', 'Backup on plug needs systemd (systemctl was not found).')
        files = await enableAuto({ paths, runner: ctx.runner, instance: { version: 1, uid: o.owner.uid, poolGuid: drive.poolGuid, drive: drive.name, configPath: o.owner.configPath, historyPath: o.owner.historyPath }, ...o.service, systemctl })
      } else {
        files = await disableAuto({ paths, runner: ctx.runner, uid: o.owner.uid, poolGuid: drive.poolGuid })
      }
      for (const f of files) ctx.info(`${o.on ? 'wrote' : 'removed'} ${f}`)
      ctx.emit({ type: 'auto-backup', drive: drive.name, on: o.on, unit })
      return { note: o.on ? `plugging ${drive.name} in starts ${unit}` : `plugging ${drive.name} in starts nothing` }
    },
  }
  return runPipeline({ verb: 'auto', drive: o.driveName ?? o.config.drives[0]?.name ?? null, steps: [step], state: null, runner: o.runner, emit: o.emit, signal: o.signal })
}

/** The user's side of the switch: "autoBackup" on the drive in their config (run as that user). */
export async function recordAutoBackup(configPath: string, driveName: string, on: boolean): Promise<Config> {
  const { config } = await loadConfig(configPath)
  return saveConfig({ ...config, drives: config.drives.map((d) => (d.name === driveName ? { ...d, autoBackup: on } : d)) }, configPath)
}

/** Whether root installed the service's instance for this user and drive (auto enable, or the NixOS option). */
export function autoInstalled(drive: DriveConfig, uid: number, paths: AutoPaths = DEFAULT_AUTO_PATHS): boolean {
  return existsSync(join(paths.instanceDir, `${instanceName(uid, drive.poolGuid)}.json`))
}

/**
 * Is backup on plug on for this drive? Only when both halves agree: the config asks for it and the
 * instance is installed. When they disagree, the note says what plugging in does and how to fix it.
 */
export function autoBackupState(drive: DriveConfig, uid: number, paths: AutoPaths = DEFAULT_AUTO_PATHS): AutoBackupState {
  const installed = autoInstalled(drive, uid, paths)
  const wanted = drive.autoBackup === true
  if (wanted && installed) return { on: true, note: null }
  if (wanted) return { on: false, note: 'The config asks for backup on plug, but its udev rule and service are not installed for this user: plugging in starts nothing. Turn it on to install them.' }
  if (installed) return { on: false, note: 'The service is installed, but "autoBackup" is off in the config, so it does nothing when the drive is plugged in. Turn it on, or off to remove it.' }
  return { on: false, note: null }
}
