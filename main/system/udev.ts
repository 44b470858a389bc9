// udev: the rule that starts a headless backup when a drive's pool appears, and udevadm's argv.
//
// A partition holding a ZFS vdev has ID_FS_TYPE=zfs_member and ID_FS_UUID = the pool's GUID (decimal),
// straight from blkid's probe of the label: matching the GUID (never the pool's name) means another
// drive whose pool is also called "backup" starts nothing.
import { isUint64 } from './tabular'

export interface AutoRule {
  poolGuid: string
  /** The systemd unit it starts, e.g. zfs-drive-backup-auto@1000-1325….service. */
  unit: string
  /** Absolute path of systemctl (udev's RUN has no PATH lookup). */
  systemctl: string
  /** For the comment only: who and which drive the rule is for. */
  comment: string
}

export function autoRuleText(r: AutoRule): string {
  if (!isUint64(r.poolGuid)) throw new Error(`not a pool GUID: ${r.poolGuid}`)
  if (!/^[A-Za-z0-9@_.-]+\.service$/.test(r.unit)) throw new Error(`not a unit name: ${r.unit}`)
  if (!/^\/[A-Za-z0-9_./-]+$/.test(r.systemctl)) throw new Error(`not an absolute path: ${r.systemctl}`)
  // --no-block: udev kills what RUN starts after a few seconds, so it only asks systemd to start the
  // service. Only "add": a "change" event (blkid re-probing after a write) must not start a second run.
  return [
    `# ${r.comment.replace(/[\r\n]/g, ' ')}`,
    '# Written by `zfs-drive-backup auto enable`; `zfs-drive-backup auto disable` removes it.',
    `ACTION=="add", SUBSYSTEM=="block", ENV{ID_FS_TYPE}=="zfs_member", ENV{ID_FS_UUID}=="${r.poolGuid}", RUN+="${r.systemctl} --no-block start ${r.unit}"`,
    '',
  ].join('\n')
}

export const udevReloadArgv = (): string[] => ['udevadm', 'control', '--reload']
