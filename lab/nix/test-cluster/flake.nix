{
  description = "UltraCloud reference lab: the six-node VM-cluster harness (nixosConfigurations.node01..node06)";

  # The monorepo keeps its VM-cluster harness in ./nix/test-cluster; this is the lab's counterpart. It reads the
  # lab's node table and builders from the enclosing repository (git+file flakes carry the whole work tree).
  outputs =
    { self }:
    let
      lib = import ../lib.nix;
      nodes = import ../nodes.nix;
      harness = [ "node01" "node02" "node03" "node04" "node05" "node06" ];
    in
    {
      nixosConfigurations = builtins.listToAttrs (
        builtins.map (name: { inherit name; value = lib.mkNode name nodes.${name}; }) harness
      );
    };
}
