import type { TargetDescriptor } from '../../profiles/descriptor-schema.ts';
import type { LabState } from './lab-spec.ts';

/** The target descriptor of a running lab: its nodes as they were placed (address, console, SSH, endpoints). */
export function labDescriptor(
  state: LabState,
  flake: string,
  attributes?: TargetDescriptor['attributes'],
): TargetDescriptor {
  return {
    name: `reference-lab-${state.labId}`,
    kind: 'reference-lab',
    flake,
    attributes: attributes ?? { profiles: {}, checks: [], apps: [], clusterLanes: [] },
    binding: 'reference-lab',
    nodes: state.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      address: n.address,
      launcher: { kind: 'lab-netns' as const },
      console: { kind: 'file' as const, path: n.consolePath },
      ssh: { host: n.address, port: 22, user: 'root' },
      services: n.services,
    })),
  };
}
