#!/bin/sh
# Installs the polkit action and the root-owned helper entry it names.
set -e
res="/opt/ZFS Drive Backup/resources/linux"
install -D -m 0755 -o root -g root "$res/zfs-drive-backup-helper" /usr/lib/zfs-drive-backup/zfs-drive-backup-helper
install -D -m 0644 -o root -g root "$res/io.github.zfsdrivebackup.helper.policy" /usr/share/polkit-1/actions/io.github.zfsdrivebackup.helper.policy
install -D -m 0644 -o root -g root "$res/zfs-drive-backup.1" /usr/share/man/man1/zfs-drive-backup.1
