# package-lock.json with a `resolved` URL for every registry package. npm leaves them out when it runs with
# omit-lockfile-registry-resolved (as on the machine that wrote this lockfile), and importNpmLock fetches
# each package by `resolved` + `integrity`. The URL is the registry's fixed tarball path.
{ lib, lock, registry ? "https://registry.npmjs.org" }:
let
  installName = path: lib.last (lib.splitString "node_modules/" path);
  tarball = name: version: "${registry}/${name}/-/${lib.last (lib.splitString "/" name)}-${version}.tgz";
  fix = path: pkg:
    if path == "" || pkg ? resolved || pkg.link or false || !(pkg ? version) then pkg
    else pkg // { resolved = tarball (pkg.name or (installName path)) pkg.version; };
in
lock // { packages = lib.mapAttrs fix lock.packages; }
