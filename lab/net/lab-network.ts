import { type LabRecord, labAddressRange, saveLab, subnetOf } from '../cluster/lab-registry.ts';
import { ip, ipBatch, ipJson, ipQuiet } from './ip.ts';
import { guardLabRange } from './lab-range.ts';

/** The lab's network: one bridge on the host with the lab's /24, one namespace and veth per node. */
export function netnsName(labId: string, node: string): string {
  return `ucn-${labId}-${node}`;
}

export function nodeAddress(slot: number, index: number): string {
  return `${subnetOf(slot).prefix}.${11 + index}`;
}

/** The lab's bridge with its /24; the lab range's unreachable routes go in first (guardLabRange). */
export async function createBridge(lab: LabRecord): Promise<void> {
  const { gateway } = subnetOf(lab.slot);
  await guardLabRange();
  await ip('link', 'add', lab.bridge, 'type', 'bridge');
  await ip('addr', 'add', `${gateway}/24`, 'dev', lab.bridge);
  await ip('link', 'set', lab.bridge, 'up');
}

/**
 * Create node `index`'s namespace, wire it to the bridge and bring up `lo` and `eth0`. No default route: a node
 * reaches its lab's /24, and the rest of the lab address range (where tenant networks draw their subnets) is
 * on-link on `eth0`, so a tenant address is delivered to whichever node answers ARP for it on the lab's bridge
 * (the worker whose PrismNet carries the port: proxy ARP). Nothing beyond the lab's bridge is reachable.
 */
export async function createNodeNetwork(
  lab: LabRecord,
  node: string,
  index: number,
): Promise<{ netns: string; address: string }> {
  const netns = netnsName(lab.labId, node);
  const veth = vethName(lab, index);
  const address = nodeAddress(lab.slot, index);
  await ip('netns', 'add', netns);
  lab.netns.push(netns);
  await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  lab.veths.push(veth);
  await saveLab(lab);
  await wireNodeNetwork(lab, netns, veth, address);
  return { netns, address };
}

function vethName(lab: LabRecord, index: number): string {
  return `ucv${lab.labId}${String(index).padStart(2, '0')}`;
}

async function wireNodeNetwork(lab: LabRecord, netns: string, veth: string, address: string): Promise<void> {
  await ip('link', 'set', veth, 'master', lab.bridge, 'up');
  await ip('-n', netns, 'link', 'set', 'lo', 'up');
  await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  await ip('-n', netns, 'link', 'set', 'eth0', 'up');
  for (const block of labAddressRange()) await ip('-n', netns, 'route', 'add', block, 'dev', 'eth0');
}

/**
 * Node `index`'s namespace made anew, with the same name, veth and address (its processes must be gone): whatever
 * the node's services added to the old one (tenant bridges, taps, iptables rules, proxy-ARP entries, routes,
 * sysctls, conntrack state) goes with it. The lab record already names both pieces.
 */
export async function recreateNodeNetwork(lab: LabRecord, node: string, index: number): Promise<void> {
  const netns = netnsName(lab.labId, node);
  const veth = vethName(lab, index);
  // the node keeps its MAC address, so no neighbour on the bridge holds a stale one for its address
  const [eth0] = await ipJson<Array<{ address?: string }>>('-n', netns, 'link', 'show', 'eth0').catch(() => []);
  const mac = eth0?.address && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(eth0.address) ? ['address', eth0.address] : [];
  // three `ip -batch` runs instead of a dozen ip processes: removal (pieces already gone are no error), then the
  // same steps as createNodeNetwork on the host and inside the namespace, each failing loudly
  await ipBatch([`link del ${veth}`, `netns del ${netns}`], { force: true });
  const address = nodeAddress(lab.slot, index);
  await ipBatch([
    `netns add ${netns}`,
    `link add ${veth} type veth peer name eth0 ${mac.join(' ')} netns ${netns}`,
    `link set ${veth} master ${lab.bridge} up`,
  ]);
  await ipBatch(
    [
      'link set lo up',
      `addr add ${address}/24 dev eth0`,
      'link set eth0 up',
      ...labAddressRange().map((block) => `route add ${block} dev eth0`),
    ],
    { netns },
  );
  await ipQuiet('neigh', 'flush', 'dev', lab.bridge);
}

/**
 * Remove every namespace, veth and the bridge the record names; missing pieces are skipped. The lab range's
 * unreachable routes are (re)installed first and stay, so the lab's /24 is unreachable, not routed to the default
 * gateway, once its bridge is gone; a host where they cannot be installed still gets its lab removed.
 */
export async function destroyNetwork(lab: LabRecord): Promise<void> {
  await guardLabRange().catch(() => undefined);
  for (const veth of lab.veths) await ipQuiet('link', 'del', veth);
  for (const ns of lab.netns) await ipQuiet('netns', 'del', ns);
  await ipQuiet('link', 'del', lab.bridge);
}
