{
  description = "UltraCloud reference lab: every canonical attribute of the supported surface, pure and offline";

  # No inputs: nothing is fetched. Evaluate and build with
  #   nix --extra-experimental-features 'nix-command flakes impure-derivations ca-derivations' \
  #     --option substituters '' --option sandbox false ...
  # (the lane checks are impure derivations: nix/README.md, "Lane checks")
  outputs =
    { self }:
    let
      lib = import ./nix/lib.nix;
      clusterSchema = import ./nix/lib/cluster-schema.nix;
      nodes = import ./nix/nodes.nix;
      isoImage = import ./nix/iso.nix { inherit (lib) system kernelDir; };
      # ultracloud-iso also builds its bootable installer ISO (config.system.build.isoImage)
      withIso = name: c:
        if name != "ultracloud-iso" then c
        else c // { config = c.config // { system = { build = c.config.system.build // { inherit isoImage; }; }; }; };
      nixosConfigurations = builtins.mapAttrs (name: node: withIso name (lib.mkNode name node)) nodes;
      toplevel = name: nixosConfigurations.${name}.config.system.build.toplevel;

      trialVm = lib.mkTree {
        name = "single-node-trial-vm";
        files."product-surface.json" = builtins.toJSON {
          profile = "single-node";
          inherit (nodes.single-node-quickstart) services;
        } + "\n";
        links.system = toplevel "single-node-quickstart";
      };
      quickstart = lib.mkRunner "single-node-quickstart" "proof --suite single-node-quickstart --lane single-node-quickstart";
      # the public alias: the same smoke launcher, its proof root under its own name
      trial = lib.mkRunner "single-node-trial" "proof --suite single-node-trial --lane single-node-trial";
      app = drv: name: { type = "app"; program = "${drv}/bin/${name}"; };

      packages = {
        single-node-trial-vm = trialVm;
        single-node-quickstart = quickstart;
        default = trialVm;
      };
      apps = {
        single-node-quickstart = app quickstart "single-node-quickstart";
        single-node-trial = app trial "single-node-trial";
      };
    in
    {
      lib = { inherit (lib) mkNode mkTree mkRunner; nodes = nodes; inherit (clusterSchema) evalCluster; };
      inherit nixosConfigurations;
      # the cluster authoring source: the generated state of nix/cluster.nix, checked by nix/lib/cluster-schema.nix
      ultracloud.cluster = clusterSchema.evalCluster (import ./nix/cluster.nix { toplevel = n: (toplevel n).outPath; });
      packages.x86_64-linux = packages;
      apps.x86_64-linux = apps;
      checks.x86_64-linux = import ./nix/checks.nix {
        inherit lib nixosConfigurations packages;
        archivedHelpers = import ./nix/archived-helpers.nix;
        outputNames = builtins.attrNames nixosConfigurations ++ builtins.attrNames packages ++ builtins.attrNames apps;
      };
    };
}
