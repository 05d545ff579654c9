import { AppliedCluster } from '../../../contracts/ports/deployer.ts';
import { requestJson } from '../../../helpers/http.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { type FleetState, recordEvent } from './fleet-state.ts';

/**
 * The deployer → fleet-scheduler link: fleet-scheduler polls the deployer's applied cluster state
 * (GET /api/v1/admin/cluster, the state `deployer-ctl apply` made) and runs exactly its services. The deployer is
 * UCP_DEPLOYER_URL, else the node running the deployer in UCP_CLUSTER; none: no services come from a deployer.
 */
export function deployerUrl(env: ServiceEnvironment): string | null {
  if (process.env.UCP_DEPLOYER_URL) return process.env.UCP_DEPLOYER_URL.replace(/\/$/, '');
  for (const node of env.cluster.nodes) {
    const ep = node.services?.deployer;
    if (ep) return `${ep.scheme === 'https' ? 'https' : 'http'}://${ep.host}:${ep.port}`;
  }
  return null;
}

/** the deployer's applied services; throws when the deployer does not answer or answers off-contract */
export async function appliedServices(url: string): Promise<AppliedCluster['services']> {
  const answer = await requestJson('GET', `${url}/api/v1/admin/cluster`, { timeoutMs: 2_000 });
  return AppliedCluster.parse(answer).services;
}

/** make the deployer-sourced services of `state` exactly `services`; services put through the API stay */
export function syncServices(state: FleetState, services: AppliedCluster['services']): void {
  const wanted = new Map(services.map((s) => [s.name, s]));
  for (const [name, svc] of Object.entries(state.services)) {
    if (svc.source === 'deployer' && !wanted.has(name)) {
      delete state.services[name];
      recordEvent(state, 'service-removed', `${name}: no longer in the deployer's applied cluster state`);
    }
  }
  for (const svc of wanted.values()) {
    const old = state.services[svc.name];
    const next = { replicas: svc.replicas, command: svc.command, nodes: [...svc.nodes] };
    if (
      old?.source === 'deployer' &&
      JSON.stringify({ replicas: old.replicas, command: old.command, nodes: old.nodes }) === JSON.stringify(next)
    ) {
      continue;
    }
    state.services[svc.name] = { name: svc.name, ...next, source: 'deployer', updatedAt: new Date().toISOString() };
    recordEvent(state, 'service-applied', `${svc.name}: ${svc.replicas} replicas on ${svc.nodes.join(', ')}`);
  }
}
