# The NixOS options nix/module.nix reads or sets, declared with the types NixOS gives them (there is no
# NixOS here, only the Nixpkgs library), and a pkgs with just the packages and builders it uses.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  fakePackage = import ./fake-package.nix;
  bool = default: mkOption { type = types.bool; inherit default; };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };
    environment.systemPackages = mkOption { type = types.listOf types.package; default = [ ]; };
    security.polkit.enable = bool false;
    services.udisks2.enable = bool false;
    services.sanoid.enable = bool false;
    services.sanoid.package = mkOption { type = types.package; default = fakePackage "sanoid" "2.2.0"; };
    services.udev.packages = mkOption { type = types.listOf types.package; default = [ ]; };
    systemd.services = mkOption { type = types.attrsOf types.anything; default = { }; };
    environment.etc = mkOption { type = types.attrsOf types.anything; default = { }; };
    # NixOS >= 24.05: a list is still accepted and becomes { zfs = true; }.
    boot.supportedFilesystems = mkOption {
      type = types.coercedTo (types.listOf types.str) (fs: lib.genAttrs fs (_: true)) (types.attrsOf types.bool);
      default = { };
    };
    boot.zfs.package = mkOption { type = types.package; default = fakePackage "zfs-user" "2.3.3"; };
  };

  config._module.args.pkgs = {
    sanoid = fakePackage "sanoid" "2.2.0";
    pv = fakePackage "pv" "1.8.5";
    stdenv.hostPlatform.system = "x86_64-linux";
    writeTextDir = path: text: fakePackage "text-${baseNameOf path}" "0" // { inherit path text; };
  };
}
