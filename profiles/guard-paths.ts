/**
 * Which paths of a tree the supported-surface guard reads, and as what. Globs are relative to the scanned root
 * (see guards/glob.ts). Two layouts ship: the UltraCloud monorepo and this repository's reference lab.
 */
export interface GuardPaths {
  readonly name: string;
  /** published docs and add-on workspace docs (rule unfinished-wording) */
  readonly docs: readonly string[];
  /** VM-cluster harness files (rule unfinished-wording) */
  readonly harness: readonly string[];
  /** shipped public server code (rule server-stub) */
  readonly serverCode: readonly string[];
  /** supported provider/backend server code paths (rule completeness-marker) */
  readonly completenessCode: readonly string[];
  /** never shipped even under server code: tests, benches, examples */
  readonly notShipped: readonly string[];
  /** flake files whose outputs form the default product surface (rule archived-helper) */
  readonly flakeSurface: readonly string[];
  /** Cargo manifests whose workspace members form the default product surface (rule archived-helper) */
  readonly cargoWorkspaces: readonly string[];
  /** archived non-product helpers that must not re-enter the default product surface */
  readonly archivedHelpers: readonly string[];
}

/** The seed's archived non-product helpers. */
export const archivedHelpers = [
  'netboot-worker',
  'plasmavmc-firecracker',
  'k8shost-cni',
  'k8shost-csi',
  'k8shost-controllers',
  'lightningstor-csi',
] as const;

const docExtensions = '{md,markdown,txt,adoc,rst}';
const notShipped = [
  '**/tests/**',
  '**/benches/**',
  '**/examples/**',
  '**/test/**',
  '**/tests.rs',
  '**/*_test.rs',
  '**/*.test.ts',
];

/** A monorepo laid out as `<component>/crates/<component>-server/src/**`, `docs/**`, `nix/test-cluster/**`. */
export const monorepoGuardPaths: GuardPaths = {
  name: 'ultracloud-monorepo',
  docs: [
    `docs/**/*.${docExtensions}`,
    `README.${docExtensions}`,
    `*/README.${docExtensions}`,
    `*/docs/**/*.${docExtensions}`,
  ],
  harness: ['nix/test-cluster/**'],
  serverCode: ['*/crates/*-server/src/**/*.rs'],
  completenessCode: ['{fiberlb,prismnet,plasmavmc,k8shost}/crates/*-server/src/**/*.rs'],
  notShipped,
  flakeSurface: ['flake.nix'],
  cargoWorkspaces: ['Cargo.toml', '*/Cargo.toml'],
  archivedHelpers,
};

/** This repository's reference lab: its docs, service servers, harness and flake, scanned from the repo root. */
export const referenceLabGuardPaths: GuardPaths = {
  name: 'reference-lab',
  docs: [`lab/**/*.${docExtensions}`],
  harness: ['lab/flake.nix', 'lab/nix/**', 'lab/node/**', 'lab/cluster/**', 'lab/net/**'],
  serverCode: ['lab/services/**/*.ts'],
  completenessCode: ['lab/services/{fiberlb,prismnet,plasmavmc,k8shost}/**/*.ts'],
  notShipped,
  flakeSurface: ['lab/flake.nix', 'lab/nix/nodes.nix'],
  cargoWorkspaces: [],
  archivedHelpers,
};

export const guardPathProfiles = {
  'ultracloud-monorepo': monorepoGuardPaths,
  'reference-lab': referenceLabGuardPaths,
} as const;
export type GuardPathProfileName = keyof typeof guardPathProfiles;
