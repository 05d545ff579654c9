import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetSchedulerPort, Placement } from '../../../contracts/ports/fleet-scheduler.ts';
import type { NodeAgentPort } from '../../../contracts/ports/node-agent.ts';
import { eventually } from '../../../helpers/retry.ts';
import { createFleetSchedulerPort } from '../../../lab/target/bindings/fleet-scheduler.ts';
import { createNodeAgentPort } from '../../../lab/target/bindings/node-agent.ts';
import { LabServiceProcess, labBinding } from './lab-service-process.ts';

/** fleet-scheduler plus node-agents on node04 and node05, as real processes on 127.0.0.1 */
export interface FleetServices {
  scheduler: LabServiceProcess;
  agents: Record<'node04' | 'node05', LabServiceProcess>;
  fleet: FleetSchedulerPort;
  nodeAgent: NodeAgentPort;
  dispose(): Promise<void>;
}

/** `schedulerEnv`: more environment for fleet-scheduler (UCP_DEPLOYER_URL, the deployer it takes services from) */
export async function startFleetServices(
  nodeTimeoutMs = 2500,
  schedulerEnv: Record<string, string> = {},
): Promise<FleetServices> {
  const scheduler = await LabServiceProcess.start({
    service: 'fleet-scheduler',
    env: {
      UCP_FLEET_NODE_TIMEOUT_MS: String(nodeTimeoutMs),
      UCP_FLEET_TICK_MS: '100',
      UCP_FLEET_DRAIN_LAPSE_MS: '1500',
      ...schedulerEnv,
    },
  });
  const cluster = JSON.stringify({
    nodes: [
      {
        name: 'node01',
        role: 'control-plane',
        address: '127.0.0.1',
        services: { 'fleet-scheduler': scheduler.endpoint },
      },
    ],
  });
  const agent = (node: string) =>
    LabServiceProcess.start({
      service: 'node-agent',
      node,
      env: { UCP_CLUSTER: cluster, UCP_NODE_AGENT_INTERVAL_MS: '200' },
    });
  const agents = { node04: await agent('node04'), node05: await agent('node05') };
  const binding = labBinding([scheduler, agents.node04, agents.node05]);
  return {
    scheduler,
    agents,
    fleet: createFleetSchedulerPort(binding),
    nodeAgent: createNodeAgentPort(binding),
    async dispose() {
      for (const a of Object.values(agents)) {
        await a.stop();
        killInstances(a.stateDir);
        await a.dispose();
      }
      await scheduler.dispose();
    },
  };
}

/** stop every instance process a node-agent left running (pid metadata under <stateDir>/pids) */
export function killInstances(stateDir: string): void {
  let files: string[] = [];
  try {
    files = readdirSync(join(stateDir, 'pids')).filter((f) => f.endsWith('.pid'));
  } catch {
    return;
  }
  for (const f of files) {
    const pid = Number(readFileSync(join(stateDir, 'pids', f), 'utf8'));
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** wait until the service's replicas sit on the nodes as counted, all running */
export function waitForSpread(
  fleet: FleetSchedulerPort,
  service: string,
  want: Record<string, number>,
  timeoutMs = 15_000,
) {
  return eventually(
    async () => {
      const placed = (await fleet.placements()).instances.filter((p: Placement) => p.service === service);
      const counts: Record<string, number> = {};
      for (const p of placed) counts[p.node] = (counts[p.node] ?? 0) + 1;
      const ok =
        Object.entries(want).every(([n, c]) => (counts[n] ?? 0) === c) &&
        Object.keys(counts).every((n) => n in want) &&
        placed.every((p) => p.running);
      if (!ok) throw new Error(`placements ${JSON.stringify(placed.map((p) => [p.id, p.node, p.running]))}`);
      return placed;
    },
    { timeoutMs, what: `${service} spread ${JSON.stringify(want)}` },
  );
}
