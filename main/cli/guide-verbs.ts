// The guide's section 10 from a terminal: delegation (10.4) and snapshots by hand (10.3).
import { changeDelegation, invokingUidFrom, PERMISSION_USES, readDelegation, resolveUser, type DelegationReport } from '../engine/delegation'
import { configuredSnapshot, handSnapshot } from '../engine/hand-snapshot'
import { displayCommand, ProcessRunner } from '../system/runner'
import { confirmTyped } from './confirm'
import { runWithEvents } from './run-events'
import { EXIT, historyOf, type CliCommand, type VerbContext } from './command'
import { jsonLine } from './json'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

function printReport(ctx: VerbContext, r: DelegationReport): void {
  for (const s of r.sources) {
    if (ctx.json) {
      ctx.io.out(jsonLine('delegation', { ...s, user: r.user, root: r.root }))
      continue
    }
    if (r.root) ctx.io.out(`✓ ${s.dataset}: root needs no delegation\n`)
    else if (s.missing.length === 0) ctx.io.out(`✓ ${s.dataset}: ${r.user} holds ${s.held.join(', ')}\n`)
    else ctx.io.out(`! ${s.dataset}: ${r.user} lacks ${s.missing.map((p) => `${p} (${PERMISSION_USES[p as keyof typeof PERMISSION_USES] ?? p})`).join(', ')}${s.held.length ? `; holds ${s.held.join(', ')}` : ''}\n    grant runs: ${displayCommand(s.grant!)}\n`)
  }
}

export const guideVerbs: Record<string, CliCommand> = {
  delegation: {
    summary: 'what you may do on each source without root (zfs allow), and grant or revoke the app\'s permissions',
    usage: `delegation [check | grant | revoke] [--source DATASET] [--yes]
  check    (default) what the app needs on each configured source (zfs diff: "diff"), what you hold
  grant    sudo: run exactly the zfs allow commands for what is missing, after you type "grant"
  revoke   sudo: take back what the app granted (zfs unallow), after you type "revoke"
  Permissions are always the app's own set and always yours (the user sudo was run by).`,
    options: { source: { type: 'string' }, yes: { type: 'boolean' } },
    async run(ctx) {
      const sub = ctx.positionals[0] ?? 'check'
      if (!['check', 'grant', 'revoke'].includes(sub)) {
        ctx.io.err(`delegation needs check, grant or revoke\n\nusage: zfs-drive-backup ${guideVerbs.delegation!.usage}\n`)
        return EXIT.usage
      }
      const runner = new ProcessRunner()
      // As root, whom sudo/doas/pkexec names (main/config/owner.ts's answer); otherwise yourself.
      const user = await resolveUser(runner, ctx.owner?.uid ?? (await invokingUidFrom(process.env)))
      const report = await readDelegation(runner, ctx.config, user, str(ctx.values.source))
      if (sub === 'check') {
        printReport(ctx, report)
        return report.sources.every((s) => s.missing.length === 0) ? EXIT.ok : EXIT.failed
      }
      const mode = sub as 'grant' | 'revoke'
      const commands = report.sources.flatMap((s) => { const c = mode === 'grant' ? s.grant : s.revoke; return c ? [c] : [] })
      if (report.root || commands.length === 0) {
        if (!ctx.json) ctx.io.out(report.root ? 'Run it with sudo as yourself: root needs no delegation.\n' : mode === 'grant' ? `Nothing missing: ${user.name} already holds what the app needs.\n` : 'Nothing of the app\'s is delegated.\n')
        return report.root ? EXIT.usage : EXIT.ok
      }
      if (!ctx.json) ctx.io.out(`This runs as root:\n${commands.map((c) => `  ${displayCommand(c)}\n`).join('')}`)
      if (process.getuid?.() !== 0) {
        ctx.io.err(`✗ ${mode === 'grant' ? 'Granting' : 'Revoking'} needs root: sudo zfs-drive-backup delegation ${mode}\n`)
        return EXIT.failed
      }
      if (!(await confirmTyped(ctx.io, mode, '', Boolean(ctx.values.yes)))) {
        ctx.io.err('Nothing changed.\n')
        return EXIT.cancelled
      }
      return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) =>
        changeDelegation({ config: ctx.config, uid: user.uid, mode, ...(str(ctx.values.source) ? { source: str(ctx.values.source)! } : {}), runner, emit, signal: ctx.signal }),
      )
    },
  },
  snapshot: {
    summary: 'take or delete a snapshot of a configured source by hand (zfs snapshot / zfs destroy)',
    usage: `snapshot create DATASET NAME          sudo: zfs snapshot DATASET@NAME
  snapshot destroy DATASET@NAME [--confirm NAME] [--yes]
                                        sudo: zfs destroy DATASET@NAME, after you type NAME again
  Only snapshots of the configured sources. NAME must not start with "autosnap" (sanoid's) or
  "zfs-drive-backup_" (the app's own, which its retention prunes).`,
    options: { confirm: { type: 'string' }, yes: { type: 'boolean' } },
    async run(ctx) {
      const [sub, a, b] = ctx.positionals
      const runner = new ProcessRunner()
      if (sub === 'create' && a && b) {
        return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) => handSnapshot({ config: ctx.config, action: { kind: 'create', source: a, name: b }, runner, emit, signal: ctx.signal }))
      }
      if (sub === 'destroy' && a && !b) {
        const { name } = configuredSnapshot(ctx.config, a)
        let confirm = str(ctx.values.confirm)
        if (confirm === undefined) {
          if (!ctx.json) ctx.io.out(`This runs as root:\n  zfs destroy ${a}\n`)
          if (!(await confirmTyped(ctx.io, name, 'The snapshot is gone for good.', Boolean(ctx.values.yes)))) {
            ctx.io.err('Nothing deleted.\n')
            return EXIT.cancelled
          }
          confirm = name
        }
        return runWithEvents(ctx.io, ctx.json, historyOf(ctx), (emit) => handSnapshot({ config: ctx.config, action: { kind: 'destroy', snapshot: a, confirm: confirm! }, runner, emit, signal: ctx.signal }))
      }
      ctx.io.err(`usage: zfs-drive-backup ${guideVerbs.snapshot!.usage}\n`)
      return EXIT.usage
    },
  },
}
