// The everyday verbs: backup, eject, status, history.
import { backup } from '../engine/backup'
import { pickDrive } from '../engine/preflight'
import { sleepHolder, withSleepHeld } from '../engine/sleep'
import { eject } from '../engine/eject'
import { readRuns } from '../history/store'
import { ProcessRunner } from '../system/runner'
import { duration } from './format'
import { runWithEvents } from './run-events'
import { EXIT, historyOf, type CliCommand } from './command'
import { jsonLine } from './json'

const driveOption = { drive: { type: 'string' } } as const

export const backupVerbs: Record<string, CliCommand> = {
  backup: {
    summary: 'import the drive, send new snapshots raw, verify, export, power off',
    usage: `backup [--drive NAME] [--no-power-off] [--dry-run] [--prune-first] [--discard-from-drive SNAP,...]
  --drive NAME     which configured drive (needed when there are several)
  --no-power-off   export, but leave the drive powered on
  --dry-run        show what would be sent and the commands that would run; change nothing
  --prune-first    a full drive: remove what its retention removes at this backup before sending, not after
  --discard-from-drive SNAP,...
                   the laptop destroyed snapshots this app had sent: discard exactly these from the drive
                   (the names the refusal printed, typed again), then send from the newest shared one`,
    options: { ...driveOption, 'no-power-off': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'prune-first': { type: 'boolean' }, 'discard-from-drive': { type: 'string' } },
    run: (ctx) => {
      const config = ctx.values['no-power-off'] ? { ...ctx.config, afterBackup: { ...ctx.config.afterBackup, powerOff: false } } : ctx.config
      const dryRun = Boolean(ctx.values['dry-run'])
      const driveName = typeof ctx.values.drive === 'string' ? ctx.values.drive : undefined
      const discard = typeof ctx.values['discard-from-drive'] === 'string' ? ctx.values['discard-from-drive'].split(',').map((x) => x.trim()).filter(Boolean) : undefined
      const pruneFirst = Boolean(ctx.values['prune-first'])
      // A dry run writes nothing, so it lets the laptop sleep.
      const hold = dryRun ? undefined : sleepHolder({ onUnavailable: (why) => ctx.io.err(`! sleep is not held off: ${why}\n`) })
      return runWithEvents(ctx.io, ctx.json, dryRun ? null : historyOf(ctx), (emit) =>
        withSleepHeld(hold, `Backing up to ${pickDrive(config, driveName).name}`, () => backup({ config, runner: new ProcessRunner(), emit, signal: ctx.signal, dryRun, pruneFirst, ...(discard ? { discard } : {}), ...(driveName ? { driveName } : {}) })),
      )
    },
  },
  eject: {
    summary: 'export the drive\'s pool (never forced) and power it off',
    usage: `eject [--drive NAME]
  Names the processes that keep the pool busy instead of forcing the export.`,
    options: driveOption,
    run: (ctx) =>
      runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
        eject({ config: ctx.config, runner: new ProcessRunner(), emit, signal: ctx.signal, ...(typeof ctx.values.drive === 'string' ? { driveName: ctx.values.drive } : {}) }),
      ),
  },
  history: {
    summary: 'recent runs with their outcome and the commands they ran',
    usage: `history [-n N]`,
    options: { n: { type: 'string', short: 'n' } },
    async run(ctx) {
      const runs = await readRuns(ctx.historyPath, Number(ctx.values.n ?? 10), (msg) => ctx.io.err(`! ${msg}\n`))
      for (const r of runs) {
        if (ctx.json) ctx.io.out(jsonLine('history', r))
        else ctx.io.out(`${r.startedAt} ${r.verb}${r.drive ? ` ${r.drive}` : ''}: ${r.outcome} in ${duration(r.durationMs / 1000)}${r.error ? ` — ${r.error.message}` : ''}\n`)
      }
      return EXIT.ok
    },
  },
}

