import { z } from 'zod';
import { parseOrExplain, type ServiceName } from './descriptor-schema.ts';
import { markerPatternProblem } from './marker-name.ts';

/**
 * The seed's marker catalogue: which `ULTRACLOUD_MARKER` lines each proof waits for, in order, and which ones end
 * it as a failure. Every marker a node prints carries the node (or node class) as its last name part, e.g.
 * `pre-install.boot.node01`, so the catalogue's entries are `.*` patterns.
 */
const Pattern = z.string().superRefine((p, ctx) => {
  const problem = markerPatternProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const MarkerCatalogueEntry = z.object({
  name: z.string().min(1),
  description: z.string().min(1),
  /** in the order they must appear */
  expected: z.array(Pattern).min(1),
  failure: z.array(Pattern),
});
export type MarkerCatalogueEntry = z.infer<typeof MarkerCatalogueEntry>;

/** The proven install sequence of verify-baremetal-iso.sh, the same on hardware (seed "Canonical Bare-Metal Proof"). */
export const baremetalSteps = [
  'pre-install.boot',
  'pre-install.phone-home.complete',
  'install.bundle-downloaded',
  'install.disko.complete',
  'install.nixos-install.complete',
  'reboot',
  'post-install.boot',
  'desired-system-active',
] as const;
export type BaremetalStep = (typeof baremetalSteps)[number];

/** The steps hardware-smoke expects (seed "Hardware Bring-Up Pack"). */
export const hardwareSmokeSteps = [
  'pre-install.boot',
  'pre-install.phone-home.complete',
  'install.disko.complete',
  'reboot',
  'post-install.boot',
  'desired-system-active',
] as const satisfies readonly BaremetalStep[];

/** A failed phase of an install (`install.failed.disko.node01`), or a rolled-back desired system. */
export const installFailurePatterns = [
  'pre-install.failed.*',
  'install.failed.*',
  'post-install.failed.*',
  'desired-system-rolled-back.*',
] as const;

/** the install sequence for one node (`pre-install.boot.node01`, ...) or for any node (`pre-install.boot.*`) */
export function baremetalSequence(node?: string, steps: readonly string[] = baremetalSteps): string[] {
  return steps.map((step) => (node ? `${step}.${node}` : `${step}.*`));
}

export function serviceReadyMarker(service: ServiceName): string {
  return `service.${service}.ready`;
}

export function nodeReadyMarker(node: string): string {
  return `node.ready.${node}`;
}

export const markerCatalogue: MarkerCatalogueEntry[] = parseOrExplain(
  z.array(MarkerCatalogueEntry),
  [
    {
      name: 'baremetal-iso',
      description:
        'pre-install boot, phone-home, flake bundle fetch, Disko install, nixos-install, reboot, post-install boot ' +
        'and nix-agent reporting the desired system active',
      expected: baremetalSequence(),
      failure: [...installFailurePatterns],
    },
    {
      name: 'hardware-smoke',
      description: 'the markers a physical node must print through USB or BMC virtual media (expected-markers.txt)',
      expected: baremetalSequence(undefined, hardwareSmokeSteps),
      failure: [...installFailurePatterns],
    },
  ],
  'marker catalogue',
);

export function catalogueEntry(name: string): MarkerCatalogueEntry {
  const entry = markerCatalogue.find((e) => e.name === name);
  if (!entry) throw new Error(`no marker catalogue entry "${name}" (${markerCatalogue.map((e) => e.name).join(', ')})`);
  return entry;
}

/** expected-markers.txt / failure-markers.txt: one `ULTRACLOUD_MARKER <pattern>` line each */
export function markerListText(patterns: readonly string[]): string {
  return patterns.map((p) => `ULTRACLOUD_MARKER ${p}\n`).join('');
}
