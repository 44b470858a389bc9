# programs.zfs-drive-backup: installs the app, its polkit action and what it needs, and refuses (with an
# assertion saying what to set) a system where a backup could not work. It writes no configuration for
# the user: the app's own setup does, in ~/.config/zfs-drive-backup.
{ config, lib, pkgs, ... }:
let
  cfg = config.programs.zfs-drive-backup;
  layout = import ./layout.nix;
  inherit (lib) mkEnableOption mkIf mkOption types versionAtLeast versionOlder getVersion;

  helperPath = "${cfg.package}/${layout.helper}";
  # The packages' policy (build/linux), with exec.path naming the store path of the helper wrapper: polkit
  # compares it byte for byte, so the prompt names the app and auth_admin_keep covers backup + eject.
  policySource = builtins.readFile ../build/linux/io.github.zfsdrivebackup.helper.policy;
  installedPath = "/opt/ZFS Drive Backup/resources/helper/zfs-drive-backup-helper";
  policyText =
    assert lib.assertMsg (lib.hasInfix installedPath policySource) "the policy in build/linux no longer names ${installedPath}";
    builtins.replaceStrings [ installedPath ] [ helperPath ] policySource;
  policy = pkgs.writeTextDir "share/polkit-1/actions/${layout.policyId}.policy" policyText;

  # OpenZFS before 2.2.8, and 2.3.0 to 2.3.2, can corrupt snapshots on a raw send (openzfs/zfs#12014).
  zfsVersion = getVersion config.boot.zfs.package;
  zfsFixed = (versionAtLeast zfsVersion "2.2.8" && versionOlder zfsVersion "2.3") || versionAtLeast zfsVersion "2.3.3";
  sanoidVersion = getVersion cfg.sanoidPackage;
in
{
  options.programs.zfs-drive-backup = {
    enable = mkEnableOption "ZFS Drive Backup, the tray app and CLI for encrypted ZFS backups to an external drive";

    package = mkOption {
      type = types.package;
      description = "The zfs-drive-backup package (the flake's nixosModules.default sets it to the flake's package).";
    };

    sanoidPackage = mkOption {
      type = types.package;
      default = if config.services.sanoid.enable or false then config.services.sanoid.package or pkgs.sanoid else pkgs.sanoid;
      defaultText = lib.literalExpression "if config.services.sanoid.enable then config.services.sanoid.package else pkgs.sanoid";
      description = "sanoid/syncoid for the backups; at least 2.2.0 (2.1.0 rejects --delete-target-snapshots).";
    };

    # Reserved: the headless backup-on-plug service (a udev rule and a systemd unit that run a backup when
    # the drive is plugged in, without the tray app) gets its options here, as `autoBackup = { ... }`.
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = config.boot.supportedFilesystems.zfs or false;
        message = "programs.zfs-drive-backup needs ZFS: add \"zfs\" to boot.supportedFilesystems (and set networking.hostId).";
      }
      {
        assertion = zfsFixed;
        message = "programs.zfs-drive-backup needs OpenZFS >= 2.2.8 (2.2 series) or >= 2.3.3: boot.zfs.package is ${zfsVersion}, which has the raw-send snapshot corruption bug (openzfs/zfs#12014). Set boot.zfs.package to a fixed release.";
      }
      {
        assertion = versionAtLeast sanoidVersion "2.2.0";
        message = "programs.zfs-drive-backup needs sanoid/syncoid >= 2.2.0, found ${sanoidVersion} (2.1.0 rejects --delete-target-snapshots): set services.sanoid.package or programs.zfs-drive-backup.sanoidPackage to a newer one.";
      }
      {
        assertion = config.services.udisks2.enable;
        message = "programs.zfs-drive-backup needs udisks2 to see the drive arrive and to power it off: set services.udisks2.enable = true.";
      }
    ];

    environment.systemPackages = [ cfg.package cfg.sanoidPackage pkgs.pv policy ];
    # pkexec (as /run/wrappers/bin/pkexec) and polkitd, which reads the action from the system profile.
    security.polkit.enable = true;
  };
}
