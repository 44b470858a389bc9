#!/bin/sh
set -e
rm -f /usr/share/polkit-1/actions/io.github.zfsdrivebackup.helper.policy
rm -rf /usr/lib/zfs-drive-backup
