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
  /** docs whose fenced command blocks are the canonical commands (rule legacy-entrypoint) */
  readonly canonicalDocs: readonly string[];
  /** code that defines the canonical profiles and the publishable lanes' entrypoints (rule legacy-entrypoint) */
  readonly canonicalCode: readonly string[];
  /** internal or legacy building blocks that are never a canonical entrypoint (with the archived helpers) */
  readonly legacyBlocks: readonly string[];
}

/** Every category of files the guard scans, in the order it reports them. */
export const surfaceCategories = [
  'docs',
  'harness',
  'serverCode',
  'completenessCode',
  'flakeSurface',
  'cargoWorkspaces',
  'canonicalDocs',
  'canonicalCode',
] as const satisfies readonly (keyof GuardPaths)[];
export type SurfaceCategory = (typeof surfaceCategories)[number];

/** The seed's archived non-product helpers. */
export const archivedHelpers = [
  'netboot-worker',
  'plasmavmc-firecracker',
  'k8shost-cni',
  'k8shost-csi',
  'k8shost-controllers',
  'lightningstor-csi',
  'mvisor',
] as const;

/**
 * The seed's internal or legacy building blocks ("Legacy And Experimental Paths"): the helper images
 * netboot-base, pxe-server and vm-smoke-target, and the baremetal/vm-cluster manual launch scripts. They may
 * exist in a tree, but are never presented as a canonical entrypoint.
 */
export const legacyBlocks = ['netboot-base', 'pxe-server', 'vm-smoke-target', 'baremetal/vm-cluster'] as const;

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
  canonicalDocs: [`README.${docExtensions}`, `docs/**/*.${docExtensions}`],
  canonicalCode: [],
  legacyBlocks,
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
  canonicalDocs: [`README.${docExtensions}`, `lab/**/*.${docExtensions}`],
  canonicalCode: [
    'profiles/canonical-profiles.ts',
    'profiles/canonical-attributes.ts',
    'profiles/descriptors/*.ts',
    'lanes/publishable/*.ts',
  ],
  legacyBlocks,
};

export const guardPathProfiles = {
  'ultracloud-monorepo': monorepoGuardPaths,
  'reference-lab': referenceLabGuardPaths,
} as const;
export type GuardPathProfileName = keyof typeof guardPathProfiles;
