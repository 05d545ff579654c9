import { BlockedError } from '../../contracts/errors.ts';
import type { ClusterInfo, TargetDriver } from '../../contracts/target.ts';
import { type VmRunnerNode, VmRunnerNodeHandle } from '../../helpers/vm-runner/node.ts';
import type { TargetDescriptor } from '../../profiles/descriptor-schema.ts';
import { monorepoBaremetalTarget } from './baremetal-iso.ts';
import { monorepoQuickstartTarget } from './quickstart.ts';
import { bootVmNodes } from './vm-cluster.ts';

function vmNodesOf(info: ClusterInfo): VmRunnerNode[] {
  const nodes = (info.state as { vmNodes?: VmRunnerNode[] }).vmNodes;
  if (!nodes) throw new Error(`cluster info of ${info.descriptor.name} carries no VM-runner nodes`);
  return nodes;
}

function flakeOf(descriptor: TargetDescriptor | null): string {
  if (!descriptor) throw new BlockedError(['a target descriptor for the UltraCloud monorepo (ULTRACLOUD_FLAKE)']);
  return descriptor.flake;
}

/**
 * The real UltraCloud monorepo: its six harness nodes booted from its generated NixOS VM runners, SSH for node
 * handles, and no service bindings of its own (a bindings module adds them; the rest block the lanes needing them).
 */
export const driver: TargetDriver = {
  kind: 'ultracloud-monorepo',
  async boot(descriptor) {
    const cluster = await bootVmNodes(flakeOf(descriptor), {
      bootTimeoutMs: Number(process.env.ULTRACLOUD_VM_BOOT_TIMEOUT_MS ?? 600_000),
      ...(descriptor?.vm?.sshKey ? { sshKeyPath: descriptor.vm.sshKey } : {}),
      ...(descriptor?.vm?.runnerEnvironment ? { runnerEnvironment: descriptor.vm.runnerEnvironment } : {}),
    });
    // the booted topology (its shifted host ports) under the descriptor's own name, bindings and VM settings
    const d = descriptor
      ? {
          ...cluster.info.descriptor,
          name: descriptor.name,
          ...(descriptor.bindings ? { bindings: descriptor.bindings } : {}),
          ...(descriptor.vm ? { vm: descriptor.vm } : {}),
        }
      : cluster.info.descriptor;
    return {
      info: {
        ...cluster.info,
        descriptor: d,
        target: { ...cluster.info.target, name: d.name, bindings: d.bindings ?? null },
      },
      stop: cluster.stop,
    };
  },
  connect: (info) => ({ nodes: vmNodesOf(info).map((n) => new VmRunnerNodeHandle(n)), ports: {} }),
  baremetal: (descriptor, bindings) =>
    monorepoBaremetalTarget(flakeOf(descriptor), {
      ...(bindings?.deployer ? { deployer: bindings.deployer } : {}),
      ...(descriptor?.vm?.sshKey ? { sshKey: descriptor.vm.sshKey } : {}),
    }),
  quickstart: (descriptor) => monorepoQuickstartTarget(flakeOf(descriptor), descriptor),
};
