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

    autoBackup = mkOption {
      description = ''
        Backup on plug with no app running, declared here (on NixOS `zfs-drive-backup auto enable` cannot
        write /etc). For each drive: a udev rule on its pool GUID starts
        zfs-drive-backup-auto@<uid>-<guid>.service, which backs the drive up as root for that user's config,
        logs to the journal, exports the pool and powers the drive off. The drive must also have
        "autoBackup": true in the user's config (the service does nothing otherwise).
      '';
      default = { };
      example = lib.literalExpression ''{ "Samsung T7" = { uid = 1000; home = "/home/eds"; poolGuid = "13251836079750056283"; }; }'';
      type = types.attrsOf (types.submodule ({ config, ... }: {
        options = {
          uid = mkOption { type = types.ints.between 0 4294967295; description = "The user whose config and history the service uses."; };
          home = mkOption { type = types.strMatching "/[^\n]*"; description = "That user's home."; };
          poolGuid = mkOption { type = types.strMatching "[0-9]{1,20}"; description = "The drive's pool GUID (zpool get guid, or the config's poolGuid)."; };
          configPath = mkOption { type = types.strMatching "/[^\n]*\\.json"; default = "${config.home}/.config/zfs-drive-backup/config.json"; defaultText = "~/.config/zfs-drive-backup/config.json"; description = "The user's config."; };
          historyPath = mkOption { type = types.strMatching "/[^\n]+"; default = "${config.home}/.local/state/zfs-drive-backup/history.jsonl"; defaultText = "~/.local/state/zfs-drive-backup/history.jsonl"; description = "The user's run history."; };
        };
      }));
    };
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

    # Backup on plug: the same rule, instance file and template unit `auto enable` writes elsewhere
    # (main/engine/auto.ts). The instance file is copied (mode set), not linked: the service refuses a link.
    services.udev.packages = lib.optional (cfg.autoBackup != { }) (pkgs.writeTextDir "lib/udev/rules.d/90-zfs-drive-backup-auto.rules" (lib.concatStrings (lib.mapAttrsToList (name: d: ''
      # zfs-drive-backup: back up drive ${builtins.toJSON name} of uid ${toString d.uid} when it is plugged in
      ACTION=="add", SUBSYSTEM=="block", ENV{ID_FS_TYPE}=="zfs_member", ENV{ID_FS_UUID}=="${d.poolGuid}", RUN+="/run/current-system/systemd/bin/systemctl --no-block start zfs-drive-backup-auto@${toString d.uid}-${d.poolGuid}.service"
    '') cfg.autoBackup)));
    environment.etc = lib.mapAttrs' (name: d: lib.nameValuePair "zfs-drive-backup/auto/${toString d.uid}-${d.poolGuid}.json" {
      mode = "0644";
      text = builtins.toJSON { version = 1; inherit (d) uid poolGuid configPath historyPath; drive = name; };
    }) cfg.autoBackup;
    systemd.services = lib.optionalAttrs (cfg.autoBackup != { }) {
      "zfs-drive-backup-auto@" = {
        description = "ZFS Drive Backup: back up on plug (%i)";
        serviceConfig = {
          Type = "oneshot";
          ExecStart = "${cfg.package}/bin/zfs-drive-backup auto run %i";
          # The system profile has zfs, syncoid, udisksctl, systemd-inhibit; pkexec is not needed (root).
          Environment = "PATH=/run/booted-system/sw/bin:/run/current-system/sw/bin";
          KillMode = "process";
          TimeoutStopSec = 180;
          TimeoutStartSec = "infinity";
          Nice = 10;
          IOSchedulingClass = "best-effort";
          IOSchedulingPriority = 7;
          SyslogIdentifier = "zfs-drive-backup";
        };
      };
    };
    # pkexec (as /run/wrappers/bin/pkexec) and polkitd, which reads the action from the system profile.
    security.polkit.enable = true;
  };
}
