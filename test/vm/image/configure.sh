#!/bin/bash
# Runs inside the image's chroot after provisioning: boot, network, ssh, the ready signal, and a lean systemd.
set -euxo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

echo zfsvm >/etc/hostname
cat >/etc/fstab <<FSTAB
LABEL=root / ext4 defaults,noatime 0 1
hostshare /mnt/host 9p trans=virtio,version=9p2000.L,msize=524288,cache=none,nofail 0 0
FSTAB
mkdir -p /mnt/host
printf '9p\n9pnet_virtio\n' >/etc/modules-load.d/9p.conf

mkdir -p /etc/systemd/network
printf '[Match]\nName=en*\n\n[Network]\nDHCP=yes\n' >/etc/systemd/network/50-dhcp.network
systemctl enable systemd-networkd
systemctl mask systemd-networkd-wait-online.service

install -d -m 0700 /root/.ssh
install -m 0600 /tmp/host.pub /root/.ssh/authorized_keys
printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' >/etc/ssh/sshd_config.d/zfsvm.conf

# Serial autologin: a root shell on the console when debugging a boot by hand.
mkdir -p /etc/systemd/system/serial-getty@ttyS0.service.d
printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200 %%I $TERM\n' \
  >/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf

# No pools exist at boot and the app imports explicitly; timers only steal cycles under emulation.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
         systemd-timesyncd.service systemd-udev-settle.service zfs-import-cache.service zfs-import-scan.service \
         zfs-zed.service man-db.timer dpkg-db-backup.timer; do
  systemctl mask "$u"
done

cat >/etc/systemd/system/zfsvm-ready.service <<UNIT
[Unit]
Description=Tell the host the guest is ready
After=multi-user.target ssh.service zfs.target zfs-load-module.service remote-fs.target
[Service]
Type=oneshot
ExecStartPre=/sbin/modprobe zfs
ExecStart=/bin/sh -c 'echo "ZFSVM-READY \$(cut -d" " -f1 /proc/uptime)" >/dev/ttyS0'
[Install]
WantedBy=multi-user.target
UNIT
systemctl enable zfsvm-ready.service

rm -f /usr/sbin/policy-rc.d /tmp/*.deb /tmp/zfs-ko.tar /tmp/host.pub /tmp/provision.sh /tmp/configure.sh

rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/info/*
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'en*' -exec rm -rf {} +
