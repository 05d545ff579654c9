import { relative } from 'node:path';
import type { NodeHandle } from '../contracts/node-handle.ts';
import type { Cluster } from '../contracts/target.ts';
import { projectRoot } from '../helpers/proof-root.ts';
import { bounded, type FailureEvidence, rerunCommand } from './failure-bundle.ts';

type EvidenceCluster = Partial<Pick<Cluster, 'nodes' | 'ports' | 'faults'>>;

/**
 * What a failed lane's bundle holds for a lane from `file`: the rerun command, each node's console and the log
 * files the node keeps on this host, and (for a cluster lane) the state of what the lane touched: each node's
 * power, the faults on, and for the services it called, ChainFire's members and each member's status, the fleet
 * scheduler's nodes and placements, the load balancer's listeners, and each node's iptables for a network lane.
 */
export function laneEvidence(lane: string, file: string | undefined, cluster: EvidenceCluster | null): FailureEvidence {
  const nodes = cluster?.nodes ?? [];
  return {
    rerun: rerunCommand({
      cwd: projectRoot,
      file: file ? relative(projectRoot, file) : '',
      lane,
      keepCluster: cluster !== null,
    }),
    logs: () =>
      nodes.flatMap((n) => [
        { name: `${n.name}/console.log`, path: n.console.path },
        ...nodeLogFiles(n).map((l) => ({ name: `${n.name}/${l.name}`, path: l.path })),
      ]),
    ...(cluster ? { state: (touched: readonly string[]) => clusterState(cluster, touched) } : {}),
  };
}

function nodeLogFiles(node: NodeHandle): Array<{ name: string; path: string }> {
  try {
    return node.logFiles?.() ?? [];
  } catch {
    return [];
  }
}

const runs = (node: NodeHandle, service: Parameters<NodeHandle['endpoint']>[0]) => {
  try {
    node.endpoint(service);
    return true;
  } catch {
    return false;
  }
};

async function clusterState(cluster: EvidenceCluster, touched: readonly string[]): Promise<Record<string, unknown>> {
  const used = (service: string) => touched.some((op) => op.startsWith(`${service}.`));
  const nodes = cluster.nodes ?? [];
  const ports = cluster.ports;
  const perNode = async <T>(pick: (n: NodeHandle) => boolean, read: (n: NodeHandle) => Promise<T>) =>
    Object.fromEntries(
      await Promise.all(nodes.filter(pick).map(async (n) => [n.name, await bounded(() => read(n))] as const)),
    );
  const state: Record<string, unknown> = {
    touched: [...touched],
    power: await perNode(
      () => true,
      (n) => n.power.state(),
    ),
  };
  if (cluster.faults) {
    const faults = cluster.faults;
    state.faults = await bounded(() => faults.active());
  }
  if (ports && used('chainfire')) {
    state.chainfire = {
      members: await bounded(() => ports.chainfire.members()),
      status: await perNode(
        (n) => runs(n, 'chainfire'),
        (n) => ports.chainfire.at(n.name).status(),
      ),
    };
  }
  if (ports && used('fleet-scheduler')) {
    state.fleetScheduler = {
      nodes: await bounded(() => ports.fleetScheduler.nodes()),
      placements: await bounded(() => ports.fleetScheduler.placements()),
    };
  }
  if (ports && used('fiberlb')) state.fiberlb = { listeners: await bounded(() => ports.fiberlb.listeners()) };
  if (used('prismnet') || used('fiberlb')) {
    state.iptables = await perNode(
      () => true,
      async (n) => {
        const r = await n.exec('iptables-save 2>&1 || nft list ruleset 2>&1', { timeoutMs: 5_000 });
        return r.stdout.slice(-32 * 1024);
      },
    );
  }
  return state;
}
