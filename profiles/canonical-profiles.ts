import { z } from 'zod';
import { parseOrExplain, ServiceName } from './descriptor-schema.ts';

/**
 * The three canonical profiles: the public support contract (seed "Canonical Profiles"). Nothing else is a
 * supported profile: netboot-worker, baremetal/vm-cluster and the helper images are not.
 */

/** A component a profile requires or offers: a service, or one of the installer's parts. */
export const ComponentName = z.union([ServiceName, z.enum(['first-boot-automation', 'install-target'])]);
export type ComponentName = z.infer<typeof ComponentName>;

/** One canonical entrypoint, typed by how it is used; `entrypointText` renders it the way the seed writes it. */
export const Entrypoint = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('app'), name: z.string().min(1) }),
  z.object({ kind: z.literal('package'), name: z.string().min(1) }),
  z.object({ kind: z.literal('nixosConfiguration'), name: z.string().min(1) }),
  z.object({ kind: z.literal('check'), name: z.string().min(1) }),
  z.object({ kind: z.literal('cluster-lane'), lane: z.string().min(1) }),
]);
export type Entrypoint = z.infer<typeof Entrypoint>;

export const CanonicalProfile = z
  .object({
    /** the seed's profile name, e.g. "3-node HA control plane" */
    name: z.string().min(1),
    /** a short id for file names and CLI arguments */
    id: z.enum(['single-node', 'ha-control-plane', 'bare-metal-bootstrap']),
    entrypoints: z.array(Entrypoint).min(1),
    /** companion install images (nixosConfigurations) */
    companionImages: z.array(z.string().min(1)),
    required: z.array(ComponentName).min(1),
    optional: z.array(ComponentName),
    /** components the profile deliberately leaves out */
    excluded: z.array(ComponentName).default([]),
    /** where required components run when not on every node of the profile */
    placement: z
      .object({
        everyControlPlaneNode: z.array(ComponentName).default([]),
        bootstrapNode: z.array(ComponentName).default([]),
      })
      .optional(),
    /** the seed's own wording where a list cannot say it all */
    note: z.string().optional(),
  })
  .refine((p) => !p.required.some((c) => p.optional.includes(c)), {
    message: 'a component cannot be both required and optional',
    path: ['optional'],
  });
export type CanonicalProfile = z.infer<typeof CanonicalProfile>;

export function entrypointText(e: Entrypoint): string {
  switch (e.kind) {
    case 'app':
      return `nix run .#${e.name}`;
    case 'package':
      return `nix build .#${e.name}`;
    case 'nixosConfiguration':
      return `nixosConfigurations.${e.name}`;
    case 'check':
      return `checks.x86_64-linux.${e.name}`;
    case 'cluster-lane':
      return `nix run ./nix/test-cluster#cluster -- ${e.lane}`;
  }
}

const nixos = (name: string) => ({ kind: 'nixosConfiguration' as const, name });

export const canonicalProfiles: CanonicalProfile[] = parseOrExplain(
  z.array(CanonicalProfile),
  [
    {
      name: 'single-node dev',
      id: 'single-node',
      entrypoints: [
        { kind: 'app', name: 'single-node-quickstart' },
        { kind: 'app', name: 'single-node-trial' },
        { kind: 'package', name: 'single-node-trial-vm' },
        nixos('single-node-quickstart'),
      ],
      companionImages: ['netboot-all-in-one'],
      required: ['chainfire', 'flaredb', 'iam', 'plasmavmc', 'prismnet'],
      optional: [
        'lightningstor',
        'coronafs',
        'flashdns',
        'fiberlb',
        'apigateway',
        'nightlight',
        'creditservice',
        'k8shost',
      ],
      excluded: ['deployer', 'nix-agent', 'node-agent', 'fleet-scheduler'],
    },
    {
      name: '3-node HA control plane',
      id: 'ha-control-plane',
      entrypoints: [nixos('node01'), nixos('node02'), nixos('node03')],
      companionImages: ['netboot-control-plane'],
      required: ['chainfire', 'flaredb', 'iam', 'nix-agent', 'deployer'],
      optional: [
        'fleet-scheduler',
        'node-agent',
        'prismnet',
        'flashdns',
        'fiberlb',
        'plasmavmc',
        'lightningstor',
        'coronafs',
        'k8shost',
        'apigateway',
        'nightlight',
        'creditservice',
      ],
      placement: { everyControlPlaneNode: ['chainfire', 'flaredb', 'iam', 'nix-agent'], bootstrapNode: ['deployer'] },
    },
    {
      name: 'bare-metal bootstrap',
      id: 'bare-metal-bootstrap',
      entrypoints: [
        { kind: 'cluster-lane', lane: 'baremetal-iso' },
        nixos('ultracloud-iso'),
        nixos('baremetal-qemu-control-plane'),
        nixos('baremetal-qemu-worker'),
        { kind: 'check', name: 'baremetal-iso-e2e' },
      ],
      companionImages: [],
      required: ['deployer', 'first-boot-automation', 'install-target', 'nix-agent'],
      optional: ['node-agent', 'fleet-scheduler'],
      note: 'optional: node-agent, fleet-scheduler, and higher-level storage or edge services after bootstrap',
    },
  ],
  'canonical profiles',
);

export function canonicalProfile(id: CanonicalProfile['id']): CanonicalProfile {
  const profile = canonicalProfiles.find((p) => p.id === id);
  if (!profile) throw new Error(`no canonical profile "${id}"`);
  return profile;
}

/** name → every entrypoint and companion image, in the seed's words (the descriptors' `attributes.profiles`) */
export function profileEntrypointTexts(): Record<string, string[]> {
  return Object.fromEntries(
    canonicalProfiles.map((p) => [
      p.name,
      [...p.entrypoints.map(entrypointText), ...p.companionImages.map((c) => `nixosConfigurations.${c}`)],
    ]),
  );
}
