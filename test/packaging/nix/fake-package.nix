# Something that passes for a package in the module system (types.package) without a derivation behind it.
pname: version: {
  type = "derivation";
  inherit pname version;
  name = "${pname}-${version}";
  outPath = "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" "${pname}-${version}")}-${pname}-${version}";
}
