{
  description = "ZFS Drive Backup: encrypted ZFS backups to an external drive, as a tray app and a CLI";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
    in
    {
      packages.${system}.default = pkgs.callPackage ./nix/package.nix { };

      overlays.default = final: _prev: { zfs-drive-backup = final.callPackage ./nix/package.nix { }; };

      # imports = [ zfs-drive-backup.nixosModules.default ]; programs.zfs-drive-backup.enable = true;
      nixosModules.default = { lib, pkgs, ... }: {
        imports = [ ./nix/module.nix ];
        programs.zfs-drive-backup.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };
    };
}
