import { requestJson } from '../../../helpers/http.ts';
import { startHttpService } from '../common/http-service.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { nodeAgentFaults } from './faults.ts';
import { InstanceRunner } from './instance-runner.ts';

/**
 * node-agent in the reference lab: every UCP_NODE_AGENT_INTERVAL_MS (default 500) it heartbeats to
 * fleet-scheduler with the instances it runs, and reconciles them to the assignment it gets back: starts missing
 * instances, restarts dead ones, stops ones no longer assigned. Per-instance logs and pid metadata live under
 * `${UCP_STATE_DIR}/pids`.
 *   GET /api/v1/instances     every instance: pid, running, port, log
 *   GET /api/v1/status        node, scheduler, last heartbeat
 * fleet-scheduler: UCP_FLEET_SCHEDULER_URL, else the node running fleet-scheduler in UCP_CLUSTER.
 */
let timer: NodeJS.Timeout | undefined;

interface AssignedInstance {
  id: string;
  service: string;
  command: string[] | null;
}

await startHttpService({
  faults: nodeAgentFaults,
  routes(app, { env, faults }) {
    const runner = new InstanceRunner(env.stateDir, env.host === '0.0.0.0' ? '127.0.0.1' : env.host, env.node);
    const scheduler = schedulerUrl(env);
    const intervalMs = Number(process.env.UCP_NODE_AGENT_INTERVAL_MS ?? 500);
    const last = { at: null as string | null, ok: false, error: null as string | null, state: null as string | null };
    let heartbeats = 0;

    const reconcile = (assigned: AssignedInstance[]) => {
      const wanted = new Map(assigned.map((a) => [a.id, a]));
      for (const inst of runner.list()) {
        if (!wanted.has(inst.id) || !inst.running) runner.stop(inst.id);
      }
      const present = new Set(runner.list().map((i) => i.id));
      for (const a of assigned) if (!present.has(a.id)) runner.start(a.id, a.service, a.command);
    };
    const beat = async () => {
      if (!scheduler || faults.on('heartbeat-stall')) return;
      try {
        const answer = await requestJson<{ state: string; assignment: AssignedInstance[] }>(
          'POST',
          `${scheduler}/api/v1/nodes/${encodeURIComponent(env.node)}/heartbeat`,
          {
            body: { instances: runner.list().map(({ id, running, pid }) => ({ id, running, pid })) },
            timeoutMs: Math.max(2_000, intervalMs * 4),
          },
        );
        heartbeats++;
        Object.assign(last, { at: new Date().toISOString(), ok: true, error: null, state: answer.state });
        if (!faults.on('ignore-assignment')) reconcile(answer.assignment);
      } catch (err) {
        Object.assign(last, { at: new Date().toISOString(), ok: false, error: (err as Error).message });
      }
    };
    const loop = () => {
      timer = setTimeout(() => void beat().finally(loop), intervalMs);
    };
    void beat().finally(loop);

    app.get('/api/v1/instances', () => ({ pidsDir: runner.pidsDir, instances: runner.list() }));
    app.get('/api/v1/status', () => ({
      node: env.node,
      scheduler,
      heartbeats,
      lastHeartbeat: last,
      pidsDir: runner.pidsDir,
    }));
  },
  onShutdown: () => clearTimeout(timer),
});

function schedulerUrl(env: ServiceEnvironment): string | null {
  if (process.env.UCP_FLEET_SCHEDULER_URL) return process.env.UCP_FLEET_SCHEDULER_URL.replace(/\/$/, '');
  for (const node of env.cluster.nodes) {
    const ep = node.services?.['fleet-scheduler'];
    if (ep) return `${ep.scheme === 'https' ? 'https' : 'http'}://${ep.host}:${ep.port}`;
  }
  return null;
}
