import type { ServiceName, TargetDescriptor } from '../../profiles/descriptor-schema.ts';
import { canonicalTargetAttributes } from '../../profiles/descriptors/canonical-target-attributes.ts';
import { labExtraPorts, referenceLabDescriptor } from '../../profiles/descriptors/reference-lab.ts';
import type { LabState } from './lab-spec.ts';

/**
 * The target descriptor of a running lab: the reference-lab descriptor (profiles/) over the nodes the lab
 * booted, at the addresses it gave them. A lab that is not a valid harness topology (a negative test's
 * three-node lab, a restricted service set) gets the same fields built here.
 */
export function labDescriptor(state: LabState): TargetDescriptor {
  const addresses = Object.fromEntries(state.nodes.map((n) => [n.name, n.address]));
  const bootstrap = state.nodes.find((n) => n.services.deployer)?.name ?? state.nodes[0]?.name;
  const topology = state.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    bootstrap: n.name === bootstrap,
    services: Object.keys(n.services) as ServiceName[],
  }));
  try {
    return referenceLabDescriptor({ addresses, labRoot: state.labDir, topology, name: `reference-lab-${state.labId}` });
  } catch {
    return {
      name: `reference-lab-${state.labId}`,
      kind: 'reference-lab',
      flake: state.source.split('#')[0] ?? state.source,
      attributes: canonicalTargetAttributes(),
      nodes: state.nodes.map((n) => ({
        name: n.name,
        role: n.role,
        address: n.address,
        launcher: { kind: 'lab-netns' as const },
        console: { kind: 'file' as const, path: n.consolePath },
        ssh: { host: n.address, port: 22, user: 'root' },
        services: n.services,
        extraEndpoints: Object.fromEntries(
          Object.entries(labExtraPorts)
            .filter(([key]) => n.services[key.split('.')[0] as ServiceName])
            .map(([key, { port, scheme }]) => [key, { host: n.address, port, scheme }]),
        ),
      })),
    };
  }
}
