# Small builders for the reference flake. Every derivation is a plain `builtins.derivation` run by /bin/sh with
# the host's coreutils on PATH (the flake is evaluated and built offline with the sandbox off: no nixpkgs, no
# inputs, nothing to download).
let
  system = "x86_64-linux";

  # A derivation whose output directory holds the given files ({ "node.json" = "..."; "bin/x" = "..."; }),
  # executable when the path starts with "bin/", plus symlinks ({ system = <drv>; }).
  mkTree =
    { name, files ? { }, links ? { } }:
    let
      fileNames = builtins.attrNames files;
      indexed = builtins.genList (i: {
        var = "file${toString i}";
        path = builtins.elemAt fileNames i;
      }) (builtins.length fileNames);
      copyFile = f: ''
        mkdir -p "$(dirname "$out/${f.path}")"
        cp "${"$" + f.var}Path" "$out/${f.path}"
        case "${f.path}" in bin/*) chmod 0555 "$out/${f.path}" ;; *) chmod 0444 "$out/${f.path}" ;; esac
      '';
      linkFile = l: ''
        ln -s ${links.${l}} "$out/${l}"
      '';
    in
    builtins.derivation (
      {
        inherit name system;
        builder = "/bin/sh";
        PATH = "/usr/bin:/bin";
        passAsFile = [ "script" ] ++ builtins.map (f: f.var) indexed;
        script = builtins.concatStringsSep "\n" (
          [ "set -eu" "mkdir -p \"$out\"" ]
          ++ builtins.map copyFile indexed
          ++ builtins.map linkFile (builtins.attrNames links)
        );
        args = [ "-c" ". \"$scriptPath\"" ];
      }
      // builtins.listToAttrs (builtins.map (f: { name = f.var; value = files.${f.path}; }) indexed)
    );

  # A NixOS-shaped configuration for one node: `config.system.build.toplevel` is a derivation whose output holds
  # node.json ({ hostname, role, services, profile }) and the product-surface manifest the node ships.
  mkNode =
    name: node:
    let
      description = {
        schema = "ultracloud-lab/node@1";
        hostname = node.hostname or name;
        configuration = name;
        inherit (node) role services;
        profile = node.profile or null;
        components = node.components or [ ];
      };
      toplevel = mkTree {
        name = "nixos-system-${description.hostname}";
        files = {
          "node.json" = builtins.toJSON description + "\n";
          "etc/ultracloud/product-surface.json" = builtins.toJSON { inherit (description) services; } + "\n";
          "nixos-version" = "ultracloud-lab\n";
        };
      };
    in
    {
      config = {
        networking.hostName = description.hostname;
        ultracloud = description;
        system.build.toplevel = toplevel;
      };
    };

  # A materialized runner: `bin/<name>` hands its arguments to the proof harness's CLI (ucproof, or the command
  # in ULTRACLOUD_PROOF_CLI), the same way the monorepo's built check runners execute their harness.
  mkRunner =
    name: command:
    mkTree {
      inherit name;
      files."bin/${name}" = ''
        #!/bin/sh
        cli="''${ULTRACLOUD_PROOF_CLI:-ucproof}"
        command -v "''${cli%% *}" >/dev/null 2>&1 || {
          echo "${name}: the proof harness CLI '$cli' is not on PATH (set ULTRACLOUD_PROOF_CLI)" >&2
          exit 127
        }
        exec $cli ${command} "$@"
      '';
    };
in
{
  inherit system mkTree mkNode mkRunner;
}
