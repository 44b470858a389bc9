// Drive lifecycle verbs (issue 4): disks, setup, adopt, scrub, restore open/list/file/close, verify-key.
import { resolve } from 'node:path'
import { adopt } from '../engine/adopt'
import { pickDrive } from '../engine/preflight'
import { confirmationWord, listDiskCandidates } from '../engine/disks'
import { restoreClose, restoreFile, restoreList, restoreOpen } from '../engine/restore'
import { lastScrub, scrub, scrubDue } from '../engine/scrub'
import { setup } from '../engine/setup'
import { verifyKey } from '../engine/verify-key'
import { readRuns } from '../history/store'
import { ProcessRunner } from '../system/runner'
import { bytes, duration } from './format'
import { runWithEvents } from './run-events'
import { sleepHolder, withSleepHeld } from '../engine/sleep'
import { defaultSecretReader } from './secret'
import { EXIT, historyOf, type CliCommand, type VerbContext } from './command'
import { jsonLine } from './json'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const driveName = (ctx: VerbContext): { driveName?: string } => (str(ctx.values.drive) ? { driveName: str(ctx.values.drive)! } : {})
const reader = (ctx: VerbContext) => ctx.io.readSecret ?? defaultSecretReader()
const ask = (ctx: VerbContext) => (dataset: string) => reader(ctx)(`Passphrase for ${dataset}: `)

/** Sleep held off while a run writes to the drive, as the helper and the service do (main/engine/sleep.ts). */
const holdSleep = (ctx: VerbContext) => sleepHolder({ onUnavailable: (why) => ctx.io.err(`! sleep is not held off: ${why}\n`) })

export const lifecycleVerbs: Record<string, CliCommand> = {
  disks: {
    summary: 'disks a backup drive could be set up on (USB first), and why the others cannot',
    usage: 'disks [--json]',
    async run(ctx) {
      const list = await listDiskCandidates(new ProcessRunner(), ctx.config.drives)
      for (const d of list) {
        if (ctx.json) {
          ctx.io.out(jsonLine('disks', d))
          continue
        }
        const pools = d.pools.length ? `; holds pool ${d.pools.map((p) => `${p.name ?? '?'}${p.configuredAs ? ` (drive "${p.configuredAs}")` : ''}`).join(', ')}` : ''
        ctx.io.out(`${d.eligible ? '✓' : '✗'} ${d.byId ?? d.device}  ${[d.model, d.serial].filter(Boolean).join(' ') || '—'}, ${bytes(d.sizeBytes)}, ${d.transport ?? 'no transport'}${pools}\n`)
        if (!d.eligible) ctx.io.out(`    not eligible: ${d.reason}\n`)
      }
      if (!ctx.json && list.length === 0) ctx.io.out('No disks found.\n')
      return EXIT.ok
    },
  },
  setup: {
    summary: 'erase a disk and make it a backup drive: partition, pool, first encrypted copy',
    usage: `setup --disk /dev/disk/by-id/X --name NAME --confirm X [--pool backup] [--source DATASET]... [--reformat] [--power-off]
  --disk PATH      the whole disk, by its /dev/disk/by-id link (see: zfs-drive-backup disks)
  --name NAME      what to call the drive (e.g. T7)
  --confirm X      the disk's by-id name typed again: everything on it is erased
  --pool NAME      pool name (default backup, as the guide)
  --source DS      dataset to back up (repeatable; default: every configured source)
  --reformat       erase the disk even though it holds a configured drive's pool
  --power-off      power the drive off at the end (default: export only)
  A setup that was interrupted after the pool was created continues when run again.`,
    options: { disk: { type: 'string' }, name: { type: 'string' }, confirm: { type: 'string' }, pool: { type: 'string' }, source: { type: 'string', multiple: true }, reformat: { type: 'boolean' }, 'power-off': { type: 'boolean' } },
    async run(ctx) {
      const disk = str(ctx.values.disk)
      const name = str(ctx.values.name)
      if (!disk || !name) {
        ctx.io.err('setup needs --disk /dev/disk/by-id/… and --name NAME (zfs-drive-backup disks lists the disks)\n')
        return EXIT.usage
      }
      if (ctx.values.confirm === undefined) {
        ctx.io.err(`setup erases everything on ${disk}. To go ahead, repeat its name: --confirm ${disk.startsWith('/dev/disk/by-id/') ? confirmationWord(disk) : '<by-id name>'}\n`)
        return EXIT.usage
      }
      const sources = Array.isArray(ctx.values.source) ? ctx.values.source : []
      return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
        withSleepHeld(holdSleep(ctx), `Setting up ${name}`, () => setup({
          config: ctx.config, configPath: ctx.configPath, configOwner: ctx.owner, disk, name, confirm: str(ctx.values.confirm), sources,
          ...(str(ctx.values.pool) ? { pool: str(ctx.values.pool)! } : {}),
          reformat: Boolean(ctx.values.reformat), powerOff: Boolean(ctx.values['power-off']),
          runner: new ProcessRunner(), emit, signal: ctx.signal,
        })),
      )
    },
  },
  adopt: {
    summary: 'take over a drive prepared by hand with the guide (no formatting)',
    usage: `adopt --pool NAME --target DATASET [--name NAME] [--source DATASET] [--failmode-continue]
  Checks that DATASET is a raw-encrypted copy of the source (common snapshots, key not on the drive).
  --failmode-continue  set failmode=continue on the pool (as setup does): with the default, wait, a
                       drive unplugged mid-write hangs every later zfs command until it is back`,
    options: { pool: { type: 'string' }, target: { type: 'string' }, name: { type: 'string' }, source: { type: 'string' }, 'failmode-continue': { type: 'boolean' } },
    async run(ctx) {
      const pool = str(ctx.values.pool)
      const target = str(ctx.values.target)
      if (!pool || !target) {
        ctx.io.err('adopt needs --pool NAME and --target DATASET (e.g. --pool backup --target backup/eds)\n')
        return EXIT.usage
      }
      return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
        adopt({
          config: ctx.config, configPath: ctx.configPath, configOwner: ctx.owner, pool, target, failmodeContinue: Boolean(ctx.values['failmode-continue']),
          ...(str(ctx.values.name) ? { name: str(ctx.values.name)! } : {}),
          ...(str(ctx.values.source) ? { source: str(ctx.values.source)! } : {}),
          runner: new ProcessRunner(), emit, signal: ctx.signal,
        }),
      )
    },
  },
  scrub: {
    summary: 'check every block on the drive (no key needed); --last shows when it was last done',
    usage: `scrub [--drive NAME] [--wait] [--last]
  --wait   follow the scrub to the end, show the result and export (default: start it and return)
  --last   only show the last scrub's age and result from the history`,
    options: { drive: { type: 'string' }, wait: { type: 'boolean' }, last: { type: 'boolean' } },
    async run(ctx) {
      if (ctx.values.last) {
        const runs = await readRuns(ctx.historyPath, 1000, (m) => ctx.io.err(`! ${m}\n`))
        const drives = str(ctx.values.drive) ? [pickDrive(ctx.config, str(ctx.values.drive))] : ctx.config.drives
        for (const d of drives) {
          const last = lastScrub(runs, d.name)
          const due = scrubDue(last, ctx.config.scrubEveryDays)
          if (ctx.json) ctx.io.out(jsonLine('scrub-last', { drive: d.name, lastScrub: last, scrubDue: due, scrubEveryDays: ctx.config.scrubEveryDays }))
          else ctx.io.out(`${d.name}: last scrub ${last ? `${duration((Date.now() - Date.parse(last.at)) / 1000)} ago, ${last.errors} error(s), repaired ${bytes(last.repairedBytes)}` : 'never'}${due ? ` — due (every ${ctx.config.scrubEveryDays} days)` : ''}\n`)
        }
        return EXIT.ok
      }
      // Held only while we follow the scrub (--wait); without it the command returns at once.
      return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
        withSleepHeld(ctx.values.wait ? holdSleep(ctx) : undefined, `Scrubbing ${str(ctx.values.drive) ?? ctx.config.drives[0]?.name ?? 'the drive'}`, () =>
          scrub({ config: ctx.config, ...driveName(ctx), wait: Boolean(ctx.values.wait), runner: new ProcessRunner(), emit, signal: ctx.signal })),
      )
    },
  },
  restore: {
    summary: 'restore open | list | file SNAPSHOT PATH [--to DIR] [--force] | close',
    usage: `restore open [--drive NAME]     import, ask the passphrase, mount the backup read-only
  restore list [--drive NAME]     snapshots on the drive with their dates
  restore file SNAPSHOT PATH [--to DIR] [--force] [--drive NAME]
                                  copy a file or folder out of a snapshot (mode, owner, times kept);
                                  DIR defaults to the current folder; never overwrites without --force
  restore close [--drive NAME]    unmount, unload the key, export
  The passphrase is read from the terminal (no echo) or from stdin, never from arguments.`,
    options: { drive: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' } },
    async run(ctx) {
      const [sub, ...rest] = ctx.positionals
      const runner = new ProcessRunner()
      switch (sub) {
        case 'open':
          return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
            restoreOpen({ config: ctx.config, ...driveName(ctx), passphrase: ask(ctx), ...(ctx.owner ? { viewerGid: ctx.owner.gid } : {}), runner, emit, signal: ctx.signal }),
          )
        case 'close':
          return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) => restoreClose({ config: ctx.config, ...driveName(ctx), runner, emit, signal: ctx.signal }))
        case 'list': {
          const drive = pickDrive(ctx.config, str(ctx.values.drive))
          const rows = await restoreList(runner, drive)
          for (const r of rows) ctx.io.out(ctx.json ? jsonLine('restore-list', r) : `${r.createdAt.slice(0, 16).replace('T', ' ')}  ${r.target}@${r.snapshot}  ${r.path}\n`)
          if (!ctx.json && rows.length === 0) ctx.io.out('No snapshots on the drive.\n')
          return EXIT.ok
        }
        case 'file': {
          const [snapshot, path] = rest
          if (!snapshot || !path) {
            ctx.io.err('restore file needs SNAPSHOT and PATH, e.g. restore file autosnap_2024-01-01_00:00:00_daily Documents/report.odt\n')
            return EXIT.usage
          }
          const drive = pickDrive(ctx.config, str(ctx.values.drive))
          const r = await restoreFile({ runner, drive, snapshot, path, toDir: resolve(str(ctx.values.to) ?? process.cwd()), force: Boolean(ctx.values.force) })
          ctx.io.out(ctx.json ? jsonLine('restore-file', r) : `✓ restored ${r.from} → ${r.to}\n`)
          return EXIT.ok
        }
        default:
          ctx.io.err(`restore needs open, list, file or close\n\nusage: zfs-drive-backup ${lifecycleVerbs.restore!.usage}\n`)
          return EXIT.usage
      }
    },
  },
  'verify-key': {
    summary: 'check that you still know the passphrase (zfs load-key -n; nothing is loaded)',
    usage: 'verify-key [--drive NAME]',
    options: { drive: { type: 'string' } },
    run: (ctx) =>
      runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
        verifyKey({ config: ctx.config, ...driveName(ctx), passphrase: ask(ctx), runner: new ProcessRunner(), emit, signal: ctx.signal }),
      ),
  },
}
