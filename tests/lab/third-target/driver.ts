import type { ClusterInfo, TargetDriver } from '../../../contracts/target.ts';
import { allowLabDestinations } from '../../../lab/net/address-guard.ts';
import { labStateOf } from '../../../lab/target/driver.ts';
import { LabNodeHandle } from '../../../lab/target/lab-node-handle.ts';

/**
 * A third kind of target, added without touching the suite: "borrowed-lab" speaks to a reference lab that some
 * other process booted (its controller URL, SSH key and lab id in BORROWED_LAB_STATE). It gives node handles and
 * nothing else; its service bindings come from whatever bindings module its descriptor names.
 */
export const driver: TargetDriver = {
  kind: 'borrowed-lab',
  async boot(descriptor) {
    if (!descriptor) throw new Error('borrowed-lab needs a descriptor');
    const state = JSON.parse(process.env.BORROWED_LAB_STATE ?? 'null') as Record<string, unknown> | null;
    if (!state) throw new Error('BORROWED_LAB_STATE is not set');
    const info: ClusterInfo = {
      descriptor,
      target: {
        name: descriptor.name,
        kind: descriptor.kind,
        flake: descriptor.flake,
        gitRevision: null,
        bindings: descriptor.bindings ?? null,
      },
      state,
      facts: { execution_model: 'borrowed-lab' },
    };
    return { info, stop: async () => {} };
  },
  connect(info) {
    allowLabDestinations();
    const { controllerUrl, sshKeyPath } = labStateOf(info);
    return { nodes: info.descriptor.nodes.map((n) => new LabNodeHandle(n, controllerUrl, sshKeyPath)), ports: {} };
  },
};
