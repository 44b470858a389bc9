# Evaluates nix/module.nix on a few systems and returns, for each, what the test asserts: the failed
# assertions, the installed packages, the polkit policy text, polkit, the units. Run by
# test/packaging/nix-module.test.ts: nix-instantiate --eval --strict --json eval.nix --arg lib <nixpkgs lib>.
{ lib }:
let
  project = ../../..;
  stubs = import ./stubs.nix;
  fake = import ./fake-package.nix;
  app = fake "zfs-drive-backup" "0.1.0";
  good = {
    programs.zfs-drive-backup = { enable = true; package = app; };
    boot.supportedFilesystems = [ "zfs" ];
    services.udisks2.enable = true;
  };
  system = extra:
    let
      c = (lib.evalModules { modules = [ (project + "/nix/module.nix") stubs good extra ]; }).config;
      policies = builtins.filter (p: p ? path && lib.hasPrefix "share/polkit-1/actions/" p.path) c.environment.systemPackages;
    in
    {
      failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
      packages = map (p: p.name) c.environment.systemPackages;
      policies = map (p: { inherit (p) path text; }) policies;
      polkit = c.security.polkit.enable;
      units = builtins.attrNames c.systemd.services;
      udevPackages = map (p: p.name) c.services.udev.packages;
      udevRules = map (p: p.text) c.services.udev.packages;
      etc = c.environment.etc;
      unitConfig = lib.mapAttrs (_: u: u.serviceConfig) c.systemd.services;
    };
in
{
  appOutPath = app.outPath;
  layout = import (project + "/nix/layout.nix");
  good = system { };
  disabled = system { programs.zfs-drive-backup.enable = lib.mkForce false; };
  supportedFilesystemsAsSet = system { boot.supportedFilesystems = lib.mkForce { zfs = true; }; };
  noZfs = system { boot.supportedFilesystems = lib.mkForce [ "ext4" ]; };
  zfs_2_2_7 = system { boot.zfs.package = fake "zfs-user" "2.2.7"; };
  zfs_2_2_8 = system { boot.zfs.package = fake "zfs-user" "2.2.8"; };
  zfs_2_3_2 = system { boot.zfs.package = fake "zfs-user" "2.3.2"; };
  zfs_2_4_0 = system { boot.zfs.package = fake "zfs-user" "2.4.0"; };
  oldSanoidPackage = system { programs.zfs-drive-backup.sanoidPackage = fake "sanoid" "2.1.0"; };
  oldServicesSanoid = system { services.sanoid = { enable = true; package = fake "sanoid" "2.1.0"; }; };
  noUdisks = system { services.udisks2.enable = lib.mkForce false; };
  autoBackup = system { programs.zfs-drive-backup.autoBackup."Samsung T7" = { uid = 1000; home = "/home/eds"; poolGuid = "13251836079750056283"; }; };
  # What the flake exposes, with a nixpkgs whose callPackage only records what it was called on.
  flake =
    let
      outputs = (import (project + "/flake.nix")).outputs;
      nixpkgs = { legacyPackages.x86_64-linux.callPackage = path: args: { type = "derivation"; name = "called-${baseNameOf path}"; outPath = "/nix/store/x-${baseNameOf path}"; }; };
      self = outputs { inherit self nixpkgs; };
      withModule = (lib.evalModules {
        modules = [ self.nixosModules.default stubs ];
      }).config;
    in
    {
      package = self.packages.x86_64-linux.default.name;
      overlay = builtins.isFunction self.overlays.default;
      moduleDefaultPackage = withModule.programs.zfs-drive-backup.package.name;
    };
  # nix/package.nix called with builders that return what they were given (nothing can be built here).
  package =
    let
      tool = name: fake name "1" // { meta.mainProgram = name; };
      args = import (project + "/nix/package.nix") {
        inherit lib;
        buildNpmPackage = a: a;
        importNpmLock = {
          __functor = _: a: { lockPackages = builtins.length (builtins.attrNames a.packageLock.packages); };
          npmConfigHook = "npmConfigHook";
        };
        electron = tool "electron" // { dist = "/nix/store/electron-dist"; version = "45.5.0"; };
        nodejs = tool "node";
        makeWrapper = "makeWrapper";
        copyDesktopItems = "copyDesktopItems";
        makeDesktopItem = a: a;
        runtimeShell = "/nix/store/bash/bin/bash";
      };
    in
    {
      inherit (args) pname version buildPhase installPhase desktopItems;
      inherit (args.npmDeps) lockPackages;
      mainProgram = args.meta.mainProgram;
    };
  # The lockfile as importNpmLock gets it: every registry package with a URL and its integrity.
  npmLock =
    let
      fixed = import (project + "/nix/npm-lock.nix") { inherit lib; lock = lib.importJSON (project + "/package-lock.json"); };
      pkgs = lib.filterAttrs (path: _: path != "") fixed.packages;
    in
    {
      count = builtins.length (builtins.attrNames pkgs);
      missing = builtins.attrNames (lib.filterAttrs (_: p: !(p ? resolved && p ? integrity)) pkgs);
      zod = pkgs."node_modules/zod".resolved;
      scoped = pkgs."node_modules/@types/node".resolved;
    };
}
