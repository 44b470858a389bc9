// Read-only verbs: doctor, status, snapshots, diff. None of them changes a pool.
import { pickDrive } from '../engine/preflight'
import { runDoctor } from '../engine/doctor'
import { readDriveStatus } from '../engine/drive-status'
import { autoBackupState } from '../engine/auto-switch'
import { describeNextBase } from '../engine/next-base'
import { bytes } from '../engine/units'
import { readDriveSnapshots, timelines, type DriveUnread } from '../engine/snapshots'
import { readRuns } from '../history/store'
import { ProcessRunner } from '../system/runner'
import { diffArgv, parseDiff } from '../system/zfs'
import { duration } from './format'
import { statusExitCode } from './status-exit'
import { EXIT, type CliCommand } from './command'
import { jsonLine } from './json'

const when = (iso: string | null): string => (iso ? `${duration((Date.now() - Date.parse(iso)) / 1000)} ago` : 'never')

const unreadNote = (drive: string, why: DriveUnread): string =>
  why === 'not-connected' ? `drive "${drive}" is not connected` : 'the drive is connected but not imported; run as root to read it'

export const infoVerbs: Record<string, CliCommand> = {
  doctor: {
    summary: 'check every prerequisite and show how to fix what fails (Debian and NixOS)',
    usage: 'doctor',
    async run(ctx) {
      const checks = await runDoctor(new ProcessRunner(), ctx.config)
      for (const c of checks) {
        if (ctx.json) {
          ctx.io.out(jsonLine('doctor', c))
          continue
        }
        ctx.io.out(`${c.ok ? '✓' : c.severity === 'error' ? '✗' : '!'} ${c.title}: ${c.detail}\n`)
        if (c.fix?.debian) ctx.io.out(`    Debian: ${c.fix.debian}\n`)
        if (c.fix?.nixos) ctx.io.out(`    NixOS:  ${c.fix.nixos}\n`)
      }
      return checks.some((c) => !c.ok && c.severity === 'error') ? EXIT.failed : EXIT.ok
    },
  },
  status: {
    summary: 'each drive: present / imported / absent, last backup, how far behind the laptop it is',
    usage: `status [--drive NAME]
  Exit code, for monitoring: 0 every drive was backed up within staleAfterDays, 5 a drive is overdue,
  6 a drive was never backed up (or none is configured).`,
    options: { drive: { type: 'string' } },
    async run(ctx) {
      const runs = await readRuns(ctx.historyPath, 500, (m) => ctx.io.err(`! ${m}\n`))
      const drives = typeof ctx.values.drive === 'string' ? [pickDrive(ctx.config, ctx.values.drive)] : ctx.config.drives
      if (drives.length === 0) {
        if (!ctx.json) ctx.io.out('No backup drive is configured. Set one up with `zfs-drive-backup setup` or adopt one with `zfs-drive-backup adopt`.\n')
        return statusExitCode([])
      }
      const runner = new ProcessRunner()
      const reports = []
      for (const d of drives) {
        const r = { ...(await readDriveStatus(runner, ctx.config, d, runs)), autoBackup: autoBackupState(d, ctx.owner?.uid ?? process.getuid?.() ?? 0) }
        reports.push(r)
        if (ctx.json) {
          ctx.io.out(jsonLine('status', r))
          continue
        }
        ctx.io.out(`${r.drive} (pool ${r.pool}): ${r.presence}; last backup ${when(r.lastBackupAt)}${r.stale ? (r.lastBackupAt ? ` — due (older than ${ctx.config.staleAfterDays} days)` : ' — due') : ''}\n`)
        if (r.keyCheck) ctx.io.out(`  passphrase last proven ${when(r.keyCheck.lastProvenAt)}${r.keyCheck.due ? ` — rehearsal due (every ${r.keyCheck.everyDays} days): zfs-drive-backup verify-key --drive '${r.drive}'` : ''}\n`)
        ctx.io.out(`  last scrub ${when(r.lastScrub?.at ?? null)}${r.lastScrub ? ` (${r.lastScrub.errors} error${r.lastScrub.errors === 1 ? '' : 's'})` : ''}${r.scrubDue ? ` — due (every ${ctx.config.scrubEveryDays} days)` : ''}\n`)
        ctx.io.out(`  backup on plug: ${r.autoBackup.on ? 'on' : 'off'}${r.autoBackup.note ? ` (${r.autoBackup.note})` : ''}\n`)
        for (const t of r.targets) {
          const lag = t.missingOnDrive === null ? 'unknown until the drive is read' : t.missingOnDrive === 0 ? 'up to date' : `${t.missingOnDrive} snapshot${t.missingOnDrive === 1 ? '' : 's'} behind`
          ctx.io.out(`  ${t.source} → ${t.target}: laptop @${t.sourceNewest ?? '—'}, drive @${t.driveNewest ?? '—'}${t.from === 'history' ? ' (at the last backup)' : ''}: ${lag}\n`)
          if (t.nextBase) ctx.io.out(`    next backup: ${describeNextBase(t.nextBase, t.fullSendBytes ?? null, bytes)}\n`)
        }
      }
      return statusExitCode(reports)
    },
  },
  snapshots: {
    summary: 'snapshots on the laptop and on the drive, and which exist where',
    usage: 'snapshots [--drive NAME]',
    options: { drive: { type: 'string' } },
    async run(ctx) {
      const drive = pickDrive(ctx.config, typeof ctx.values.drive === 'string' ? ctx.values.drive : undefined)
      // As root a connected drive is imported read-only for the listing and exported again.
      const both = await readDriveSnapshots(new ProcessRunner(), drive, { importReadOnly: process.getuid?.() === 0 })
      const note = both.unread ? unreadNote(drive.name, both.unread) : null
      for (const t of timelines(both)) {
        const rows = t.rows.map((r) => ({ name: r.snapshot, creation: Date.parse(r.createdAt) / 1000, guid: r.guid, laptop: r.onSource, drive: r.onDrive, ...(r.retention ? { retention: r.retention } : {}) })).reverse()
        if (ctx.json) {
          ctx.io.out(jsonLine('snapshots', { source: t.source, target: t.target, driveNote: note, snapshots: rows }))
          continue
        }
        ctx.io.out(`${t.source} → ${t.target}${note ? ` (${note})` : ''}\n  laptop drive  created              name (guid)\n`)
        for (const r of rows) {
          const mark = (v: boolean | null) => (v === null ? '?' : v ? '●' : '·')
          ctx.io.out(`  ${mark(r.laptop).padEnd(6)} ${mark(r.drive).padEnd(5)} ${new Date(r.creation * 1000).toISOString().slice(0, 16).replace('T', ' ')}  ${r.name} (${r.guid})${retentionNote(r)}\n`)
        }
      }
      return EXIT.ok
    },
  },
  diff: {
    summary: 'what changed between two snapshots (zfs diff): added, removed, modified, renamed',
    usage: `diff A B
  A and B are snapshots (dataset@snap); B may also be the dataset itself (its current state).`,
    async run(ctx) {
      const [a, b] = ctx.positionals
      if (!a || !b) {
        ctx.io.err('diff needs two snapshots: zfs-drive-backup diff pool/ds@a pool/ds@b\n')
        return EXIT.usage
      }
      const r = await new ProcessRunner().run(diffArgv(a, b))
      const entries = parseDiff(r.stdout)
      if (ctx.json) for (const e of entries) ctx.io.out(jsonLine('diff', e))
      else {
        const words = { '+': 'added', '-': 'removed', M: 'modified', R: 'renamed' } as const
        for (const e of entries) ctx.io.out(`${e.change} ${words[e.change].padEnd(8)} ${JSON.stringify(e.path)}${e.newPath ? ` → ${JSON.stringify(e.newPath)}` : ''}\n`)
        ctx.io.out(`${entries.length} change${entries.length === 1 ? '' : 's'}\n`)
      }
      return EXIT.ok
    },
  },
}

/** What the drive's retention does with a snapshot at the next backup, where that is news: it goes, or the drive keeps what the laptop pruned. */
function retentionNote(r: { laptop: boolean; drive: boolean | null; retention?: 'keep' | 'prune' }): string {
  if (r.retention === 'prune') return '  ← removed at the next backup (the drive\'s retention)'
  if (r.retention === 'keep' && !r.laptop) return '  ← kept by the drive\'s retention (the laptop pruned it)'
  return ''
}
