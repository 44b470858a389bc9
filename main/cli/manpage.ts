// zfs-drive-backup(1), generated from the verb tables so it cannot drift from --help
// (`npm run man` writes build/linux/zfs-drive-backup.1; a unit test checks the committed one is current).
import type { CliCommand } from './command'

const EXIT_MEANING: [number, string][] = [
  [0, 'success; for status: every drive was backed up within staleAfterDays'],
  [1, 'the run failed'],
  [2, 'bad usage or an invalid config'],
  [3, 'the drive is not present'],
  [4, 'another run holds the drive, or the pool is busy'],
  [5, 'status: a drive is overdue (no backup within staleAfterDays)'],
  [6, 'status: a drive was never backed up, or no drive is configured'],
  [130, 'cancelled (Ctrl-C, SIGTERM)'],
]

/** Text as roff reads it: backslashes and hyphens escaped, no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n')
}

export function manPage(verbs: Record<string, CliCommand>, commonHelp: string, version: string): string {
  const out: string[] = [
    `.TH ZFS\\-DRIVE\\-BACKUP 1 "" "zfs-drive-backup ${roff(version)}" "User Commands"`,
    '.SH NAME',
    'zfs\\-drive\\-backup \\- encrypted ZFS backups to an external drive',
    '.SH SYNOPSIS',
    '.B zfs\\-drive\\-backup',
    '.I command',
    '[\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    roff('The engine of the ZFS Drive Backup tray app as a command line. Verbs that import or export a pool run as root (sudo or doas); --json prints the same events the tray app receives, one JSON document per line (their JSON Schemas are in the schemas/ folder of the source).'),
    '.SH COMMANDS',
  ]
  for (const [name, v] of Object.entries(verbs)) {
    if (v.internal) continue
    out.push('.TP', `.B ${roff(name)}`, roff(v.summary), '.RS', '.nf', roff(`zfs-drive-backup ${v.usage}`), '.fi', '.RE')
  }
  out.push('.SH OPTIONS', '.nf', roff(commonHelp), '.fi', '.SH EXIT STATUS')
  for (const [code, meaning] of EXIT_MEANING) out.push('.TP', `.B ${code}`, roff(meaning))
  out.push(
    '.SH FILES',
    '.TP', roff('$XDG_CONFIG_HOME/zfs-drive-backup/config.json'), roff('the configuration (sources, drives, replication settings)'),
    '.TP', roff('$XDG_STATE_HOME/zfs-drive-backup/history.jsonl'), roff('every run, one JSON record per line'),
    '.TP', roff('/etc/udev/rules.d/90-zfs-drive-backup-UID-GUID.rules'), roff('backup on plug: written by auto enable, removed by auto disable'),
    '.TP', roff('/etc/systemd/system/zfs-drive-backup-auto@.service'), roff('the service that rule starts; its log: journalctl -u zfs-drive-backup-auto@UID-GUID'),
    '.SH SEE ALSO',
    '.BR zpool (8),',
    '.BR zfs (8),',
    '.BR syncoid (1),',
    '.BR udisksctl (1)',
    '',
  )
  return out.join('\n')
}
