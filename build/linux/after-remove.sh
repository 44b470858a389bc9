#!/bin/sh
set -e
rm -f /usr/share/polkit-1/actions/io.github.zfsdrivebackup.helper.policy
rm -rf /usr/lib/zfs-drive-backup
rm -f /usr/share/man/man1/zfs-drive-backup.1
