import type { DeployerPort, InstallPlan } from '../../contracts/ports/deployer.ts';

/** The install plan of a control-plane node's own class: its nixosConfiguration, disko config and root disk. */
export function controlPlanePlan(node: string): InstallPlan {
  return {
    nixos_configuration: node,
    disko_config_path: 'nix/disko/control-plane.sh',
    target_disk_by_id: '/dev/disk/by-id/virtio-uc-control-root',
  };
}

/** make sure the deployer knows `node` (class control-plane-<node>), so desired systems can be published for it */
export async function registerControlPlaneNode(deployer: DeployerPort, node: string): Promise<void> {
  const cls = `control-plane-${node}`;
  await deployer.putClass(cls, { install_plan: controlPlanePlan(node) });
  if (!(await deployer.inspect(node))) await deployer.preregister({ node_id: node, node_class: cls, hostname: node });
}
