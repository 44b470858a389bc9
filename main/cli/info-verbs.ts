// Read-only verbs: doctor, status, snapshots, diff. None of them changes a pool.
import { existsSync } from 'node:fs'
import { pickDrive } from '../engine/backup'
import { runDoctor } from '../engine/doctor'
import { driveReport } from '../engine/status'
import { readRuns } from '../history/store'
import { ExecaRunner, type Runner } from '../system/runner'
import { datasetExists, diffArgv, listSnapshots, parseDiff, type SnapshotInfo } from '../system/zfs'
import { exportArgv, importByGuidArgv, listPools } from '../system/zpool'
import { duration } from './format'
import { statusExitCode } from './status-exit'
import { EXIT, type Verb } from './verb'

const when = (iso: string | null): string => (iso ? `${duration((Date.now() - Date.parse(iso)) / 1000)} ago` : 'never')

/**
 * Lists the drive's snapshots. An imported pool is read as it is; a connected one is imported read-only
 * for the listing and exported again, which needs root; otherwise there is nothing to read.
 */
async function driveSnapshots(runner: Runner, drive: ReturnType<typeof pickDrive>, target: string): Promise<{ rows: SnapshotInfo[] | null; note?: string }> {
  const imported = (await listPools(runner)).some((p) => p.guid === drive.poolGuid)
  if (imported) return { rows: (await datasetExists(runner, target)) ? await listSnapshots(runner, target) : [] }
  if (!existsSync(drive.disk)) return { rows: null, note: `drive "${drive.name}" is not connected` }
  if (process.getuid?.() !== 0) return { rows: null, note: 'the drive is connected but not imported; run as root to read it' }
  await runner.run(importByGuidArgv(drive.poolGuid, undefined, { readonly: true }))
  try {
    return { rows: (await datasetExists(runner, target)) ? await listSnapshots(runner, target) : [] }
  } finally {
    await runner.run(exportArgv(drive.pool))
  }
}

export const infoVerbs: Record<string, Verb> = {
  doctor: {
    summary: 'check every prerequisite and show how to fix what fails (Debian and NixOS)',
    usage: 'doctor',
    async run(ctx) {
      const checks = await runDoctor(new ExecaRunner(), ctx.config)
      for (const c of checks) {
        if (ctx.json) {
          ctx.io.out(JSON.stringify(c) + '\n')
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
      const runner = new ExecaRunner()
      const reports = []
      for (const d of drives) {
        const r = await driveReport(runner, ctx.config, d, runs)
        reports.push(r)
        if (ctx.json) {
          ctx.io.out(JSON.stringify(r) + '\n')
          continue
        }
        ctx.io.out(`${r.drive} (pool ${r.pool}): ${r.presence}; last backup ${when(r.lastBackupAt)}${r.stale ? ` — due (older than ${ctx.config.staleAfterDays} days)` : ''}\n`)
        ctx.io.out(`  last scrub ${when(r.lastScrub?.at ?? null)}${r.lastScrub ? ` (${r.lastScrub.errors} error${r.lastScrub.errors === 1 ? '' : 's'})` : ''}${r.scrubDue ? ` — due (every ${ctx.config.scrubEveryDays} days)` : ''}\n`)
        for (const t of r.targets) {
          const lag = t.missingOnDrive === null ? 'unknown until the drive is read' : t.missingOnDrive === 0 ? 'up to date' : `${t.missingOnDrive} snapshot${t.missingOnDrive === 1 ? '' : 's'} behind`
          ctx.io.out(`  ${t.source} → ${t.target}: laptop @${t.sourceNewest ?? '—'}, drive @${t.driveNewest ?? '—'}${t.from === 'history' ? ' (at the last backup)' : ''}: ${lag}\n`)
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
      const runner = new ExecaRunner()
      for (const [source, target] of Object.entries(drive.targets)) {
        const src = await listSnapshots(runner, source)
        const dst = await driveSnapshots(runner, drive, target)
        const onDrive = new Map((dst.rows ?? []).map((s) => [s.guid, s]))
        const onSource = new Set(src.map((s) => s.guid))
        const rows = [
          ...src.map((s) => ({ name: s.snapshot, creation: s.creation, guid: s.guid, laptop: true, drive: dst.rows ? onDrive.has(s.guid) : null })),
          ...(dst.rows ?? []).filter((s) => !onSource.has(s.guid)).map((s) => ({ name: s.snapshot, creation: s.creation, guid: s.guid, laptop: false, drive: true })),
        ].sort((a, b) => a.creation - b.creation)
        if (ctx.json) {
          ctx.io.out(JSON.stringify({ source, target, driveNote: dst.note ?? null, snapshots: rows }) + '\n')
          continue
        }
        ctx.io.out(`${source} → ${target}${dst.note ? ` (${dst.note})` : ''}\n  laptop drive  created              name (guid)\n`)
        for (const r of rows) {
          const mark = (v: boolean | null) => (v === null ? '?' : v ? '●' : '·')
          ctx.io.out(`  ${mark(r.laptop).padEnd(6)} ${mark(r.drive).padEnd(5)} ${new Date(r.creation * 1000).toISOString().slice(0, 16).replace('T', ' ')}  ${r.name} (${r.guid})\n`)
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
      const r = await new ExecaRunner().run(diffArgv(a, b))
      const entries = parseDiff(r.stdout)
      if (ctx.json) for (const e of entries) ctx.io.out(JSON.stringify(e) + '\n')
      else {
        const words = { '+': 'added', '-': 'removed', M: 'modified', R: 'renamed' } as const
        for (const e of entries) ctx.io.out(`${e.change} ${words[e.change].padEnd(8)} ${JSON.stringify(e.path)}${e.newPath ? ` → ${JSON.stringify(e.newPath)}` : ''}\n`)
        ctx.io.out(`${entries.length} change${entries.length === 1 ? '' : 's'}\n`)
      }
      return EXIT.ok
    },
  },
}
