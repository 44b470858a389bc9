# Where the package puts things, shared by package.nix and module.nix. The helper wrapper sits next to the
# app archive, which is where the app looks for it (main/app/privileged.ts, installedHelper), and the
# NixOS module's polkit action names that store path.
rec {
  share = "share/zfs-drive-backup";
  resources = "${share}/resources";
  helper = "${resources}/helper/zfs-drive-backup-helper";
  policyId = "io.github.zfsdrivebackup.helper";
}
