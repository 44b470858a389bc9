// `auto enable|disable --drive NAME` (root): backup on plug without the app, through a udev rule and a
// systemd service; `auto run` is what that service runs.
import { resolve } from 'node:path'
import { recordAutoBackup, serviceCommand, switchAutoBackup } from '../engine/auto-switch'
import { EngineError } from '../engine/errors'
import { readOwnedConfig } from '../config/owned'
import { sleepHolder } from '../engine/sleep'
import type { RunEvent } from '../../shared/events'
import { ProcessRunner } from '../system/runner'
import { dropPrivileges, invokingUser, userDefaultPaths } from './invoker'
import { runWithEvents } from './run-events'
import { EXIT, type CliCommand, type VerbContext } from './command'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The same pipeline the helper runs for the window's switch (main/engine/auto-switch.ts). */
async function toggle(ctx: VerbContext, on: boolean): Promise<number> {
  if (process.getuid?.() !== 0) {
    ctx.io.err(`✗ auto ${on ? 'enable' : 'disable'} installs a udev rule and a systemd service, which needs root: sudo zfs-drive-backup auto ${on ? 'enable' : 'disable'} --drive NAME\n`)
    return EXIT.failed
  }
  const runner = new ProcessRunner()
  const user = await invokingUser(runner)
  if (!user) throw new EngineError('user-unknown', 'Cannot tell which user this is for (no passwd entry for the invoking uid).')
  const defaults = userDefaultPaths(user)
  const configPath = resolve(str(ctx.values.config) ?? defaults.configPath)
  const historyPath = resolve(str(ctx.values.history) ?? defaults.historyPath)
  // The user's own file (owned by them, not writable by others), read as the helper reads it.
  const config = await readOwnedConfig(configPath, user.uid)
  const script = process.argv[1]
  if (!script) throw new Error('cannot tell how this CLI was started')
  let switched: Extract<RunEvent, { type: 'auto-backup' }> | null = null
  const code = await runWithEvents(ctx.io, ctx.json, null, (emit) =>
    switchAutoBackup({ config, ...(str(ctx.values.drive) ? { driveName: str(ctx.values.drive) } : {}), on, owner: { uid: user.uid, configPath, historyPath }, service: serviceCommand(resolve(script)), runner, emit, signal: ctx.signal }),
  (e) => {
    if (e.type === 'auto-backup') switched = e
  })
  const done = switched as Extract<RunEvent, { type: 'auto-backup' }> | null
  if (!done) return code
  // The config edit is the user's: made with their rights, after root's part is done.
  dropPrivileges(user)
  await recordAutoBackup(configPath, done.drive, on)
  if (!ctx.json) ctx.io.out(on ? `  Plug “${done.drive}” in: it is backed up, exported and powered off with nobody at the keyboard (user ${user.name}).\n` : `  “${done.drive}” is no longer backed up on plug.\n`)
  return code
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
        // Loaded only here: it brings D-Bus (notifications), which no other verb needs at start-up.
        const { runHeadless } = await import('./headless')
        const runner = new ProcessRunner()
        return runHeadless(arg, ctx.io, ctx.signal, { runner, holdSleep: sleepHolder({ onUnavailable: (why) => ctx.io.err(`! sleep is not held off: ${why}\n`) }) })
      }
      ctx.io.err(`usage: zfs-drive-backup ${autoVerbs.auto!.usage}\n`)
      return EXIT.usage
    },
  },
}
