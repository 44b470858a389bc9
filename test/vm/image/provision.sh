#!/bin/bash
# Runs inside the image's chroot: installs the kernel, OpenZFS, sanoid 2.2.0 and the tools the app drives.
# With /tmp/zfs-ko.tar present (modules from an earlier DKMS build) it skips headers, gcc and DKMS.
set -euxo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C
: "${KVER:?}" "${ZFSVER:?}" "${MIRROR:?}"

cat >/etc/apt/sources.list <<SRC
deb $MIRROR bookworm main contrib
deb $MIRROR bookworm-updates main contrib
deb http://deb.debian.org/debian-security bookworm-security main contrib
deb $MIRROR bookworm-backports main contrib
SRC
# Services must not start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
echo 'zfs-dkms zfs-dkms/note-incompatible-licenses note' | debconf-set-selections
# A small initrd: the root disk is virtio, ext4.
mkdir -p /etc/initramfs-tools/conf.d
echo 'MODULES=list' >/etc/initramfs-tools/conf.d/zz-small.conf
echo 'COMPRESS=zstd' >>/etc/initramfs-tools/conf.d/zz-small.conf
printf 'virtio_pci\nvirtio_blk\next4\n' >/etc/initramfs-tools/modules

apt-get update -qq
bpo=(-t bookworm-backports)
base=(linux-image-"$KVER" initramfs-tools zfsutils-linux udisks2 openssh-server pv mbuffer pkexec polkitd
      libconfig-inifiles-perl libcapture-tiny-perl)
if [ -f /tmp/zfs-ko.tar ]; then
  apt-get install -y --no-install-recommends "${bpo[@]}" "${base[@]}"
  tar -C / -xf /tmp/zfs-ko.tar
else
  apt-get install -y --no-install-recommends "${bpo[@]}" "${base[@]}" linux-headers-"$KVER" zfs-dkms build-essential dkms
  modules=$(find /lib/modules/"$KVER"/updates -name 'spl.ko*' -o -name 'zfs.ko*')
  [ -n "$modules" ]
  tar -C / -cf /tmp/zfs-ko.tar $(echo "$modules" | sed 's|^/||')
  # Keep the modules, drop the toolchain: both paths must give the same image.
  cp -a /lib/modules/"$KVER"/updates /tmp/updates.keep
  apt-get purge -y --autoremove zfs-dkms dkms build-essential linux-headers-"$KVER" 'linux-headers-*' gcc-12 cpp-12 || true
  rm -rf /lib/modules/"$KVER"/updates && mv /tmp/updates.keep /lib/modules/"$KVER"/updates
fi
depmod -a "$KVER"
apt-get install -y --no-install-recommends /tmp/sanoid.deb
syncoid --version 2>&1 | grep -q '2\.[2-9]'
update-initramfs -u -k "$KVER"
modinfo -k "$KVER" zfs | grep -E '^version'
