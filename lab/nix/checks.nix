# The canonical checks, named exactly as the seed names them.
{ lib, nixosConfigurations, packages, archivedHelpers, outputNames }:
let
  toplevels = builtins.mapAttrs (_: c: c.config.system.build.toplevel) nixosConfigurations;
  json = v: builtins.toJSON v + "\n";

  # Evaluation only: every toplevel's drvPath is forced, nothing is built.
  evalGuards = lib.mkTree {
    name = "canonical-profile-eval-guards";
    files."eval-guards.json" = json (
      builtins.mapAttrs (_: t: builtins.unsafeDiscardStringContext t.drvPath) toplevels
      // { single-node-trial-vm = builtins.unsafeDiscardStringContext packages.single-node-trial-vm.drvPath; }
    );
  };

  # Realization: the single-node VM, the HA configs and companion image, the ISO and bare-metal outputs.
  buildGuards = lib.mkTree {
    name = "canonical-profile-build-guards";
    links = {
      inherit (toplevels)
        node01 node02 node03 netboot-control-plane netboot-all-in-one
        ultracloud-iso baremetal-qemu-control-plane baremetal-qemu-worker
        ;
      single-node-trial-vm = packages.single-node-trial-vm;
      ultracloud-iso-image = nixosConfigurations.ultracloud-iso.config.system.build.isoImage;
    };
  };

  # No archived helper in any node's services or in the flake's output names.
  surfaceViolations = builtins.filter (h: builtins.elem h outputNames) archivedHelpers
    ++ builtins.concatLists (builtins.attrValues (builtins.mapAttrs (
      n: c: builtins.map (s: "${s} (service of ${n})") (builtins.filter (s: builtins.elem s archivedHelpers) c.config.ultracloud.services)
    ) nixosConfigurations));
  supportedSurfaceGuard =
    if surfaceViolations != [ ] then
      throw "supported-surface-guard: archived helpers in the default product surface: ${builtins.concatStringsSep ", " surfaceViolations}"
    else
      lib.mkTree {
        name = "supported-surface-guard";
        files."product-surface.json" = json {
          outputs = outputNames;
          services = builtins.mapAttrs (_: c: c.config.ultracloud.services) nixosConfigurations;
          archivedHelpers = archivedHelpers;
        };
      };

  # The lane checks: building one runs its lane against the lab through the registered proof harness and fails
  # when the lane fails or is blocked (lib.mkLaneCheck; build them with `ucproof check <name>`).
  laneChecks = builtins.listToAttrs (builtins.map (name: { inherit name; value = lib.mkLaneCheck { inherit name; }; }) [
    "deployer-bootstrap-e2e"
    "host-lifecycle-e2e"
    "deployer-vm-smoke"
    "deployer-vm-rollback"
    "fleet-scheduler-e2e"
  ]);
in
laneChecks
// {
  canonical-profile-eval-guards = evalGuards;
  canonical-profile-build-guards = buildGuards;
  supported-surface-guard = supportedSurfaceGuard;
  # a materialized runner: building it runs nothing; ./result/bin/baremetal-iso-e2e runs the host-KVM proof
  baremetal-iso-e2e = lib.mkRunner "baremetal-iso-e2e" "baremetal-iso-e2e";
  # The TCG-safe aggregate: its build runs the portable-control-plane-regressions lane, which composes the
  # canonical profile eval guard, deployer-bootstrap-e2e, host-lifecycle-e2e, deployer-vm-smoke and
  # fleet-scheduler-e2e in one lab and links supported-surface-guard, failing at the first piece that fails. The
  # eval guard's and the surface guard's own derivations are linked in the output (the surface guard fails
  # evaluation when an archived helper is on the surface).
  portable-control-plane-regressions = lib.mkLaneCheck {
    name = "portable-control-plane-regressions";
    links = {
      canonical-profile-eval-guards = evalGuards;
      supported-surface-guard = supportedSurfaceGuard;
    };
  };
}
