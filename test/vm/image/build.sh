#!/usr/bin/env bash
# Builds (or finds in the cache) the test VM image: Debian 12 + backports kernel + OpenZFS 2.3 (DKMS)
# + sanoid 2.2.0 from trixie + udisks2. Prints the image folder on stdout; everything else goes to stderr.
#
# Layers, all under $ZFSVM_CACHE (default /var/cache/zfs-drive-backup/vm), never in the repo:
#   apt/                 downloaded .debs, shared by every build
#   zfs-ko/<zfs>_<kver>.tar  the DKMS-built spl/zfs modules: a hit skips the ~10 min compile
#   images/<key>/        root.img (ext4, used read-only with snapshot=on), vmlinuz, initrd.img
# <key> hashes this recipe, the guest's ssh public key and the versions resolved from the mirror today,
# so a new backports kernel or zfs release makes a new image instead of silently reusing an old one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ZFSVM_CACHE:-/var/cache/zfs-drive-backup/vm}
mirror=${ZFSVM_MIRROR:-http://deb.debian.org/debian}
log() { echo "[vm-image] $*" >&2; }

[ "$(id -u)" = 0 ] || { log "building the VM image needs root (debootstrap, chroot)"; exit 1; }
mkdir -p "$cache"/{apt,zfs-ko,images,ssh,query,debootstrap}
exec 9>"$cache/build.lock"
flock 9

# --- ssh key the host uses to reach the guest (baked into the image) ---
[ -f "$cache/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C zfsvm -f "$cache/ssh/id_ed25519"

# --- resolve versions through a private apt configuration: the host's sources are never changed ---
q="$cache/query"
cat >"$q/sources.list" <<EOF
deb $mirror bookworm-backports main contrib
deb $mirror trixie main
EOF
mkdir -p "$q/lists/partial" "$q/archives/partial"
aptq=(-o Dir::Etc::sourcelist="$q/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$q/lists"
  -o Dir::Cache::archives="$q/archives" -o Dir::State::status=/dev/null -o APT::Get::List-Cleanup=0
  -o Debug::NoLocking=1)
if [ -z "$(find "$q/lists" -name '*Packages*' -mmin -720 2>/dev/null | head -n 1)" ]; then
  log "refreshing package lists (bookworm-backports, trixie)"
  apt-get "${aptq[@]}" -qq update >&2
fi
candidate() { apt-cache "${aptq[@]}" policy "$1" -t "$2" | awk '/Candidate:/{print $2}'; }
kpkg=$(apt-cache "${aptq[@]}" depends -t bookworm-backports linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || { log "could not resolve the backports kernel"; exit 1; }
kver=${kpkg#linux-image-}
zfsver=$(apt-cache "${aptq[@]}" madison zfsutils-linux | awk -F'|' '/bookworm-backports/{gsub(/ /,"",$2); print $2; exit}')
sanoidver=$(apt-cache "${aptq[@]}" madison sanoid | awk -F'|' '/trixie/{gsub(/ /,"",$2); print $2; exit}')
[ -n "$zfsver" ] && [ -n "$sanoidver" ] || { log "could not resolve zfs ($zfsver) or sanoid ($sanoidver)"; exit 1; }
log "kernel $kver, zfs $zfsver, sanoid $sanoidver"

key=$( { cat "$here/build.sh" "$here/provision.sh" "$here/configure.sh" "$cache/ssh/id_ed25519.pub";
         echo "$kver $zfsver $sanoidver"; } | sha256sum | cut -c1-16)
out="$cache/images/$key"
if [ -f "$out/ok" ]; then
  log "image cache hit: $out"
  echo "$out"; exit 0
fi

ko="$cache/zfs-ko/zfs-${zfsver}_${kver}.tar"
sanoid_deb="$q/archives/sanoid_${sanoidver//:/%3a}_all.deb"
[ -f "$sanoid_deb" ] || (cd "$q/archives" && apt-get "${aptq[@]}" -qq download "sanoid=$sanoidver" >&2)

work="$cache/build"
root="$work/rootfs"
cleanup() {
  for m in var/cache/apt/archives dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
  done
}
trap cleanup EXIT
cleanup
rm -rf "$work"; mkdir -p "$work"
start=$SECONDS

log "debootstrap (minbase bookworm)"
debootstrap --variant=minbase --cache-dir="$cache/debootstrap" \
  --include=systemd,systemd-sysv,udev,dbus,kmod,iproute2,procps,less,parted,gdisk,util-linux,psmisc,lsof,zstd,ca-certificates \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

mount -t proc proc "$root/proc"; mount --rbind /sys "$root/sys"; mount --rbind /dev "$root/dev"
mount --bind "$cache/apt" "$root/var/cache/apt/archives"
cp "$sanoid_deb" "$root/tmp/sanoid.deb"
[ -f "$ko" ] && cp "$ko" "$root/tmp/zfs-ko.tar"

log "provisioning (kernel, zfs$([ -f "$ko" ] && echo ' from cached modules' || echo ' via DKMS, ~10 min'))"
cp "$here/provision.sh" "$here/configure.sh" "$root/tmp/"
MIRROR="$mirror" KVER="$kver" ZFSVER="$zfsver" chroot "$root" /bin/bash /tmp/provision.sh </dev/null >"$work/provision.log" 2>&1 \
  || { tail -n 40 "$work/provision.log" >&2; exit 1; }
if [ ! -f "$ko" ]; then
  cp "$root/tmp/zfs-ko.tar" "$ko.tmp" && mv "$ko.tmp" "$ko"
  log "cached the built modules: $ko"
fi

install -m 0600 "$cache/ssh/id_ed25519.pub" "$root/tmp/host.pub"
chroot "$root" /bin/bash /tmp/configure.sh </dev/null >"$work/configure.log" 2>&1 || { tail -n 40 "$work/configure.log" >&2; exit 1; }
cleanup

log "making the ext4 image"
tmp="$out.tmp"; rm -rf "$tmp"; mkdir -p "$tmp"
cp "$root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$tmp/initrd.img"
rm -rf "$root/boot"/*
mke2fs -q -t ext4 -L root -E root_owner=0:0 -d "$root" "$tmp/root.img" 3G
printf '{"kernel":"%s","zfs":"%s","sanoid":"%s","key":"%s"}\n' "$kver" "$zfsver" "$sanoidver" "$key" >"$tmp/versions.json"
touch "$tmp/ok"
rm -rf "$out"; mv "$tmp" "$out"
rm -rf "$work"
# Older images are dead weight once a new recipe or version is built.
find "$cache/images" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
log "image ready in $((SECONDS - start)) s: $out"
echo "$out"
