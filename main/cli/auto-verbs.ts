// `auto enable|disable --drive NAME` (root): backup on plug without the app, through a udev rule and a
// systemd service; `auto run` is what that service runs.
import { isAbsolute, resolve } from 'node:path'
import { loadConfig, saveConfig } from '../config/load'
import type { Config } from '../config/schema'
import { disableAuto, enableAuto, instanceName, unitName } from '../engine/auto'
import { pickDrive } from '../engine/preflight'
import { EngineError } from '../engine/errors'
import { which } from '../engine/tools'
import { readOwnedConfig } from '../config/owned'
import { sleepHolder } from '../engine/sleep'
import { ExecaRunner } from '../system/runner'
import { runHeadless } from './headless'
import { dropPrivileges, invokingUser, userDefaultPaths } from './invoker'
import { EXIT, type CliCommand, type VerbContext } from './command'

/** The fixed PATH the service runs with (NixOS tools included), like the helper's. */
export const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/current-system/sw/bin'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The command the service runs: this very CLI, with the same runtime. */
function selfCommand(): { command: string[]; environment: Record<string, string> } {
  const script = process.argv[1]
  if (!script || !isAbsolute(process.execPath)) throw new Error('cannot tell how this CLI was started')
  const environment: Record<string, string> = { PATH: SERVICE_PATH }
  // The packaged CLI is Electron's bundled Node (see build/linux/zfs-drive-backup-helper).
  if (process.versions.electron) environment.ELECTRON_RUN_AS_NODE = '1'
  return { command: [process.execPath, resolve(script)], environment }
}

async function setAutoBackup(configPath: string, driveName: string, on: boolean): Promise<void> {
  const { config } = await loadConfig(configPath)
  const next: Config = { ...config, drives: config.drives.map((d) => (d.name === driveName ? { ...d, autoBackup: on } : d)) }
  await saveConfig(next, configPath)
}

async function toggle(ctx: VerbContext, on: boolean): Promise<number> {
  if (process.getuid?.() !== 0) {
    ctx.io.err(`✗ auto ${on ? 'enable' : 'disable'} installs a udev rule and a systemd service, which needs root: sudo zfs-drive-backup auto ${on ? 'enable' : 'disable'} --drive NAME\n`)
    return EXIT.failed
  }
  const runner = new ExecaRunner()
  const user = await invokingUser(runner)
  if (!user) throw new EngineError('user-unknown', 'Cannot tell which user this is for (no passwd entry for the invoking uid).')
  const defaults = userDefaultPaths(user)
  const configPath = resolve(str(ctx.values.config) ?? defaults.configPath)
  const historyPath = resolve(str(ctx.values.history) ?? defaults.historyPath)
  // The user's own file (owned by them, not writable by others), read as the helper reads it.
  const config = await readOwnedConfig(configPath, user.uid)
  const drive = pickDrive(config, str(ctx.values.drive))
  const instance = instanceName(user.uid, drive.poolGuid)
  if (on) {
    const systemctl = which('systemctl', SERVICE_PATH)
    if (!systemctl) throw new EngineError('tool-missing', 'Backup on plug needs systemd (systemctl was not found).')
    const written = await enableAuto({ runner, instance: { version: 1, uid: user.uid, poolGuid: drive.poolGuid, drive: drive.name, configPath, historyPath }, ...selfCommand(), systemctl })
    // The config edit is the user's: made with their rights, after root's part is done.
    dropPrivileges(user)
    await setAutoBackup(configPath, drive.name, true)
    ctx.io.out(`✓ Backup on plug is on for “${drive.name}” (pool GUID ${drive.poolGuid}, user ${user.name}).\n`)
    for (const f of written) ctx.io.out(`  wrote ${f}\n`)
    ctx.io.out(`  Plug the drive in: it is backed up, exported and powered off with nobody at the keyboard.\n  Its log: journalctl -u ${unitName(instance)}\n`)
  } else {
    const removed = await disableAuto({ runner, uid: user.uid, poolGuid: drive.poolGuid })
    dropPrivileges(user)
    await setAutoBackup(configPath, drive.name, false)
    ctx.io.out(`✓ Backup on plug is off for “${drive.name}”.\n`)
    for (const f of removed) ctx.io.out(`  removed ${f}\n`)
  }
  return EXIT.ok
}

export const autoVerbs: Record<string, CliCommand> = {
  auto: {
    summary: 'back up on plug with no app running: enable or disable it for a drive (root)',
    usage: `auto enable|disable --drive NAME [--config PATH] [--history PATH]
  enable    install a udev rule for the drive's pool GUID and the systemd service it starts, which
            backs the drive up as root whenever it is plugged in, logs to the journal, exports it and
            powers it off; sets "autoBackup": true on the drive in the config
  disable   remove the rule (and the service with the last rule); sets "autoBackup": false
  The config and history are the invoking user's (sudo/pkexec), unless --config / --history say otherwise.`,
    options: { drive: { type: 'string' } },
    ownConfig: true,
    async run(ctx) {
      const [sub, arg] = ctx.positionals
      if (sub === 'enable') return toggle(ctx, true)
      if (sub === 'disable') return toggle(ctx, false)
      if (sub === 'run') {
        const runner = new ExecaRunner()
        return runHeadless(arg, ctx.io, ctx.signal, { runner, holdSleep: sleepHolder({ onUnavailable: (why) => ctx.io.err(`! sleep is not held off: ${why}\n`) }) })
      }
      ctx.io.err(`usage: zfs-drive-backup ${autoVerbs.auto!.usage}\n`)
      return EXIT.usage
    },
  },
}
