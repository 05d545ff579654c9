import { canonicalApps, canonicalChecks, canonicalPackages, system } from '../canonical-attributes.ts';
import { profileEntrypointTexts } from '../canonical-profiles.ts';
import type { TargetDescriptor } from '../descriptor-schema.ts';

/**
 * Every flake attribute and command the seed names, as written after `#` in its commands (checks as
 * `checks.x86_64-linux.<name>`, apps and packages by name, cluster lanes as the argument after `--`). Both targets
 * carry the same list: the reference flake in lab/ provides every canonical attribute too.
 */
export const clusterLanes = [
  'baremetal-iso',
  'fresh-smoke',
  'fresh-demo-vm-webapp',
  'fresh-matrix',
  'chainfire-live-membership-proof',
  'provider-vm-reality-proof',
  'rollout-soak',
  'durability-proof',
  'fresh-bench-storage',
  'status',
  'logs',
  'ssh',
  'demo-vm-webapp',
  'serve-vm-webapp',
  'matrix',
  'bench-storage',
  'stop',
  'clean',
] as const;

/** wrappers and materialized runners, exactly as the seed writes them */
export const seedCommands = [
  'nix run ./nix/test-cluster#hardware-smoke -- preflight',
  'nix run ./nix/test-cluster#hardware-smoke -- run',
  'nix run ./nix/test-cluster#hardware-smoke -- capture',
  './nix/test-cluster/run-publishable-kvm-suite.sh',
  './nix/test-cluster/run-supported-surface-final-proof.sh',
  './nix/test-cluster/run-core-control-plane-ops-proof.sh',
  './nix/test-cluster/verify-baremetal-iso.sh',
  './nix/test-cluster/work-root-budget.sh status',
  './nix/test-cluster/work-root-budget.sh enforce',
  './nix/test-cluster/work-root-budget.sh cleanup-advice',
  './nix/test-cluster/work-root-budget.sh prune-proof-logs',
  './result/bin/baremetal-iso-e2e',
] as const;

export function canonicalTargetAttributes(): TargetDescriptor['attributes'] {
  return {
    profiles: profileEntrypointTexts(),
    checks: canonicalChecks.map((c) => `checks.${system}.${c}`),
    apps: [...canonicalApps],
    packages: [...canonicalPackages],
    clusterLanes: [...clusterLanes],
    commands: [...seedCommands],
  };
}
