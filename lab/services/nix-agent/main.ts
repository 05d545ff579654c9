import { join } from 'node:path';
import { requestJson } from '../../../helpers/http.ts';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { type AgentState, converge, type Desired, initialAgentState } from './converger.ts';
import { nixAgentFaults } from './faults.ts';
import { SystemProfile } from './system-profile.ts';

/**
 * nix-agent in the reference lab: converges its node to the desired system published by the deployer (polled
 * every UCP_NIX_AGENT_POLL_MS, default 1000) or set locally, as generations of a system profile under its state
 * dir (profiles/system-<N>-link, profiles/system). The target closure is realised in the node's own Nix store by
 * substitution from the desired system's binary_cache_url, trusting only UCP_NIX_AGENT_TRUSTED_PUBLIC_KEYS, with
 * builders disabled (realise.ts); without a cache URL it must already be valid there. Reports observed status back
 * to the deployer.
 *   GET    /api/v1/status            observed status, current and desired system, generations, last health check
 *   POST   /api/v1/reconcile         converge now
 *   PUT    /api/v1/desired-system {target_system, health_check_command?}   local desired system (overrides deployer)
 *   DELETE /api/v1/desired-system    back to the deployer's desired system
 * Deployer: UCP_DEPLOYER_URL, else the node running deployer in UCP_CLUSTER. Node id: UCP_NIX_AGENT_NODE_ID or UCP_NODE.
 */
let timer: NodeJS.Timeout | undefined;

await startHttpService({
  faults: nixAgentFaults,
  routes(app, { env, faults }) {
    const store = new JsonStore<AgentState & { local: Desired | null; localGenerations: number }>(
      join(env.stateDir, 'agent.json'),
      () => ({ ...initialAgentState(), local: null, localGenerations: 0 }),
    );
    const profile = new SystemProfile(env.stateDir);
    const nodeId = process.env.UCP_NIX_AGENT_NODE_ID || env.node;
    const deployer = deployerUrl(env);
    const pollMs = Number(process.env.UCP_NIX_AGENT_POLL_MS ?? 1000);
    const healthTimeoutMs = Number(process.env.UCP_NIX_AGENT_HEALTH_TIMEOUT_MS ?? 30_000);
    const trustedKeys = process.env.UCP_NIX_AGENT_TRUSTED_PUBLIC_KEYS || null;
    let lastError: string | null = null;
    let running: Promise<unknown> = Promise.resolve();

    const fetchDesired = async (): Promise<Desired | null> => {
      const local = store.get().local;
      if (local) return local;
      if (!deployer) return null;
      try {
        const d = await requestJson<{
          target_system: string;
          health_check_command: string | null;
          generation: number;
          binary_cache_url?: string | null;
        }>('GET', `${deployer}/api/v1/nodes/${encodeURIComponent(nodeId)}/desired-system`, { timeoutMs: 5_000 });
        lastError = null;
        return {
          target_system: d.target_system,
          generation: d.generation,
          health_check_command: d.health_check_command ?? null,
          binary_cache_url: typeof d.binary_cache_url === 'string' ? d.binary_cache_url : null,
          source: 'deployer',
        };
      } catch (err) {
        lastError = (err as Error).message;
        return null;
      }
    };
    const status = () => {
      const s = store.get();
      const current = profile.current();
      return {
        node: nodeId,
        observed: s.observed,
        desired: s.desired,
        current: current ? { generation: current.number, system: current.target } : null,
        generations: profile.generations(),
        profile: profile.dir,
        buildRequired: s.buildRequired,
        built: s.built,
        lastHealthCheck: s.lastHealthCheck,
        rejected: s.rejected,
        detail: s.detail,
        deployer,
        lastError,
      };
    };
    const report = async () => {
      const s = store.get();
      if (!deployer || s.desired?.source !== 'deployer') return;
      const current = profile.current();
      await requestJson('POST', `${deployer}/api/v1/nodes/${encodeURIComponent(nodeId)}/status`, {
        body: {
          observed: s.observed,
          generation: s.desired.generation,
          target_system: s.desired.target_system,
          ...(current ? { current_system: current.target } : {}),
          ...(s.detail ? { detail: s.detail } : {}),
        },
        timeoutMs: 5_000,
      }).catch((err: Error) => {
        lastError = `status report: ${err.message}`;
      });
    };
    const reconcile = () => {
      running = running.then(async () => {
        const changed = await converge(
          await fetchDesired(),
          store,
          profile,
          faults,
          env.stateDir,
          healthTimeoutMs,
          trustedKeys,
        );
        if (changed) await report();
      });
      return running;
    };
    const loop = () => {
      timer = setTimeout(() => void reconcile().finally(loop), pollMs);
    };
    loop();

    app.get('/api/v1/status', status);
    app.post('/api/v1/reconcile', async () => {
      await reconcile();
      return status();
    });
    app.put('/api/v1/desired-system', async (req) => {
      const b = req.body as { target_system?: unknown; health_check_command?: unknown };
      if (typeof b?.target_system !== 'string' || !b.target_system.startsWith('/')) {
        throw new HttpError(400, 'target_system must be an absolute store path');
      }
      const command = typeof b.health_check_command === 'string' ? b.health_check_command : null;
      store.update((s) => {
        s.localGenerations++;
        s.local = {
          target_system: b.target_system as string,
          health_check_command: command,
          generation: s.localGenerations,
          source: 'local',
          binary_cache_url: null,
        };
      });
      await reconcile();
      return status();
    });
    app.delete('/api/v1/desired-system', async () => {
      store.update((s) => {
        s.local = null;
      });
      await reconcile();
      return status();
    });
  },
  onShutdown: () => clearTimeout(timer),
});

function deployerUrl(env: ServiceEnvironment): string | null {
  if (process.env.UCP_DEPLOYER_URL) return process.env.UCP_DEPLOYER_URL.replace(/\/$/, '');
  for (const node of env.cluster.nodes) {
    const ep = node.services?.deployer;
    if (ep) return `${ep.scheme === 'https' ? 'https' : 'http'}://${ep.host}:${ep.port}`;
  }
  return null;
}
