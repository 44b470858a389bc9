// systemd: the template service that runs a headless backup, and systemctl's argv.
// Unit files have their own quoting: arguments in double quotes with C-style escapes, "%" starts a
// specifier and "$" an environment variable, so both are doubled in literal text.

export function unitArg(arg: string): string {
  if (/[\0\r\n]/.test(arg)) throw new Error('a unit file argument cannot contain a line break')
  const literal = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$')
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(literal) ? literal : `"${literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

export interface TemplateUnit {
  description: string
  /** The command the service runs; the instance name (%i) is appended as its last argument. */
  command: string[]
  environment: Record<string, string>
}

export function templateUnitText(u: TemplateUnit): string {
  const env = Object.entries(u.environment).map(([k, v]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`not an environment variable name: ${k}`)
    return `Environment=${unitArg(`${k}=${v}`)}`
  })
  return `# Written by \`zfs-drive-backup auto enable\`; \`zfs-drive-backup auto disable\` removes it with the last rule.
[Unit]
Description=${u.description.replace(/[\r\n%]/g, ' ')} (%i)
Documentation=man:zfs-drive-backup(1)

[Service]
Type=oneshot
ExecStart=${[...u.command.map(unitArg), '%i'].join(' ')}
${env.join('\n')}
# SIGTERM reaches the CLI only, which cancels the transfer and still exports the pool; zfs send and
# receive die with the CLI (setpriv --pdeathsig). systemd never waits for the rest of the group: a receive
# a pulled cable left asleep in the kernel cannot die, and waiting for it would hold off the backup that
# the replugged drive starts, which is what wakes it.
KillMode=process
TimeoutStopSec=180
TimeoutStartSec=infinity
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
SyslogIdentifier=zfs-drive-backup
`
}

export const daemonReloadArgv = (): string[] => ['systemctl', 'daemon-reload']
