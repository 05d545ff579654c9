/**
 * The canonical flake attributes the profile guards force, named exactly as the seed names them. The same list
 * holds for the UltraCloud monorepo and the reference flake in lab/.
 */
export const system = 'x86_64-linux';

export const canonicalConfigurations = [
  'single-node-quickstart',
  'netboot-all-in-one',
  'node01',
  'node02',
  'node03',
  'netboot-control-plane',
  'ultracloud-iso',
  'baremetal-qemu-control-plane',
  'baremetal-qemu-worker',
] as const;

export const canonicalPackages = ['single-node-trial-vm'] as const;
export const canonicalApps = ['single-node-quickstart', 'single-node-trial'] as const;

export const canonicalChecks = [
  'canonical-profile-eval-guards',
  'canonical-profile-build-guards',
  'supported-surface-guard',
  'portable-control-plane-regressions',
  'deployer-bootstrap-e2e',
  'host-lifecycle-e2e',
  'deployer-vm-smoke',
  'deployer-vm-rollback',
  'fleet-scheduler-e2e',
  'baremetal-iso-e2e',
] as const;

export const toplevelOf = (configuration: string) =>
  `nixosConfigurations.${configuration}.config.system.build.toplevel`;

/**
 * canonical-profile-eval-guards: every expression `nix eval --raw` must produce, one per canonical entrypoint
 * (toplevel drvPaths, the checks' and packages' drvPaths, the apps' programs).
 */
export function evalGuardExpressions(): string[] {
  return [
    ...canonicalConfigurations.map((c) => `${toplevelOf(c)}.drvPath`),
    ...canonicalPackages.map((p) => `packages.${system}.${p}.drvPath`),
    ...canonicalChecks.map((c) => `checks.${system}.${c}.drvPath`),
    ...canonicalApps.map((a) => `apps.${system}.${a}.program`),
  ];
}

/**
 * canonical-profile-build-guards: the single-node VM, the HA control-plane configs and companion image, the ISO
 * and bare-metal outputs.
 */
export function buildGuardInstallables(): string[] {
  return [
    `packages.${system}.single-node-trial-vm`,
    ...['node01', 'node02', 'node03', 'netboot-control-plane'].map(toplevelOf),
    toplevelOf('netboot-all-in-one'),
    ...['ultracloud-iso', 'baremetal-qemu-control-plane', 'baremetal-qemu-worker'].map(toplevelOf),
    // the bootable installer ISO itself, not only the installer's configuration
    'nixosConfigurations.ultracloud-iso.config.system.build.isoImage',
  ];
}
