# The app built the nixpkgs way: npm dependencies fetched from the lockfile, Electron from nixpkgs (its
# binary cannot be downloaded in a build), electron-builder only for the unpacked app folder (`--dir`).
# Installs the tray app (zfs-drive-backup-tray), the CLI (zfs-drive-backup) and, next to the app archive,
# the helper wrapper that pkexec runs as root.
{ lib, buildNpmPackage, importNpmLock, electron, nodejs, makeWrapper, copyDesktopItems, makeDesktopItem, runtimeShell }:
let
  layout = import ./layout.nix;
  root = ./..;
  packageJson = lib.importJSON (root + "/package.json");
  packageLock = import ./npm-lock.nix { inherit lib; lock = lib.importJSON (root + "/package-lock.json"); };
in
buildNpmPackage {
  pname = packageJson.name;
  inherit (packageJson) version;
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions (map (p: root + "/${p}") [
      "package.json" "package-lock.json" "tsconfig.json" "electron.vite.config.mts"
      "main" "preload" "renderer" "assets" "build"
    ]);
  };
  npmDeps = importNpmLock { npmRoot = root; inherit packageLock; };
  npmConfigHook = importNpmLock.npmConfigHook;
  inherit nodejs;
  env.ELECTRON_SKIP_BINARY_DOWNLOAD = "1";
  nativeBuildInputs = [ makeWrapper copyDesktopItems ];

  buildPhase = ''
    runHook preBuild
    npx electron-vite build
    # electron-builder writes into the Electron folder it is given: a writable copy of nixpkgs' Electron.
    cp -r ${electron.dist} electron-dist
    chmod -R u+w electron-dist
    npx electron-builder --dir --config build/electron-builder.config.ts \
      -c.electronDist=electron-dist -c.electronVersion=${electron.version}
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    mkdir -p $out/${layout.share} $out/bin
    cp -r dist/linux-unpacked/resources $out/${layout.resources}
    rm -f $out/${layout.resources}/apparmor-profile

    # Root runs this (pkexec, authorised by the module's polkit action that names this store path).
    # pkexec has cleared the environment: the ZFS tools are the system's (they must match the kernel
    # module), syncoid, pv and udisksctl come from the system profile too.
    install -Dm755 /dev/stdin $out/${layout.helper} <<HELPER
    #!${runtimeShell}
    export PATH=/run/booted-system/sw/bin:/run/current-system/sw/bin
    exec ${lib.getExe nodejs} $out/${layout.resources}/app.asar.unpacked/out/main/helper.js
    HELPER

    makeWrapper ${lib.getExe nodejs} $out/bin/zfs-drive-backup \
      --add-flags $out/${layout.resources}/app.asar.unpacked/out/main/cli.js
    makeWrapper ${lib.getExe electron} $out/bin/zfs-drive-backup-tray \
      --add-flags $out/${layout.resources}/app.asar \
      --add-flags "\''${NIXOS_OZONE_WL:+\''${WAYLAND_DISPLAY:+--ozone-platform-hint=auto --enable-features=WaylandWindowDecorations}}" \
      --inherit-argv0

    for size in 48 128 256; do
      install -Dm644 build/icons/''${size}x''${size}.png $out/share/icons/hicolor/''${size}x''${size}/apps/zfs-drive-backup-tray.png
    done
    install -Dm644 build/icons/scalable.svg $out/share/icons/hicolor/scalable/apps/zfs-drive-backup-tray.svg
    runHook postInstall
  '';

  # Same entry as the deb/rpm/pacman one (build/electron-builder.config.ts): desktopName is the window class.
  desktopItems = [
    (makeDesktopItem {
      name = "zfs-drive-backup";
      desktopName = "ZFS Drive Backup";
      genericName = "Backup";
      comment = packageJson.description;
      exec = "zfs-drive-backup-tray %U";
      icon = "zfs-drive-backup-tray";
      startupWMClass = "zfs-drive-backup";
      categories = [ "Utility" "Archiving" ];
      keywords = [ "zfs" "backup" "usb" "sanoid" "syncoid" ];
      actions = {
        backup = { name = "Back up now"; exec = "zfs-drive-backup-tray --backup-now"; };
        eject = { name = "Eject the backup drive"; exec = "zfs-drive-backup-tray --eject"; };
      };
    })
  ];

  passthru = { inherit layout; };

  meta = {
    description = "Encrypted ZFS backups to an external drive: plug in, one click, safe to unplug";
    homepage = packageJson.homepage;
    license = lib.licenses.mit;
    mainProgram = "zfs-drive-backup";
    platforms = [ "x86_64-linux" ];
  };
}
