import { join } from 'node:path';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import { appliedServices, deployerUrl, syncServices } from './deployer-sync.ts';
import { fleetSchedulerFaults } from './faults.ts';
import { emptyFleetState, type FleetState, recordEvent } from './fleet-state.ts';
import { place } from './placement.ts';

/**
 * fleet-scheduler in the reference lab: places service replicas on worker nodes that heartbeat through their
 * node-agent; maintenance (drain → draining, activate → active) and fail-stop loss (no heartbeat for
 * UCP_FLEET_NODE_TIMEOUT_MS, default 3000 → lost) move replicas to live nodes; returning nodes get replicas back.
 *   PUT    /api/v1/services/:name {replicas, command?}     DELETE /api/v1/services/:name     GET /api/v1/services
 *   POST   /api/v1/nodes/:name/heartbeat {instances}      answers the node's assignment
 *   GET    /api/v1/nodes, GET /api/v1/nodes/:name/assignment
 *   POST   /api/v1/nodes/:name/drain, POST /api/v1/nodes/:name/activate
 *   GET    /api/v1/placements                              every instance, its node and whether it runs
 *   GET    /api/v1/events
 * Services come from the deployer's applied cluster state (deployer-sync.ts, polled every
 * UCP_FLEET_DEPLOYER_POLL_MS, default 500) and from PUT /api/v1/services.
 */
let timer: NodeJS.Timeout | undefined;
let pollTimer: NodeJS.Timeout | undefined;

interface Reported {
  at: number;
  instances: Array<{ id: string; running: boolean; pid: number | null }>;
}

await startHttpService({
  faults: fleetSchedulerFaults,
  routes(app, { env, faults }) {
    const store = new JsonStore<FleetState>(join(env.stateDir, 'fleet.json'), emptyFleetState);
    const timeoutMs = Number(process.env.UCP_FLEET_NODE_TIMEOUT_MS ?? 3000);
    const tickMs = Number(process.env.UCP_FLEET_TICK_MS ?? 250);
    const startedAt = Date.now();
    const reports = new Map<string, Reported>();
    const lapseMs = Number(process.env.UCP_FLEET_DRAIN_LAPSE_MS ?? 10_000);
    /** when each draining node's drain began (in memory; fault drain-lapses) */
    const drainedAt = new Map<string, number>();
    const lapsedDrains = () =>
      new Set(
        faults.on('drain-lapses') ? [...drainedAt].filter(([, at]) => Date.now() - at > lapseMs).map(([n]) => n) : [],
      );

    /** lost-node detection plus one placement pass, written only when something changed */
    const reconcile = (mutate?: (s: FleetState) => void) => {
      const draft = structuredClone(store.get());
      mutate?.(draft);
      for (const node of Object.values(draft.nodes)) {
        const last = reports.get(node.name)?.at ?? startedAt;
        if (node.state !== 'lost' && Date.now() - last > timeoutMs && !faults.on('ignore-node-loss')) {
          node.state = 'lost';
          recordEvent(draft, 'node-lost', `${node.name}: no heartbeat for ${Date.now() - last} ms`);
        }
      }
      place(draft, {
        keepOnDraining: faults.on('drain-keeps-replicas'),
        skipRebalance: faults.on('drain-never-restores'),
        placeOnDraining: faults.on('draining-gets-new-placements'),
        lapsedDrains: lapsedDrains(),
      });
      if (JSON.stringify(draft) !== JSON.stringify(store.get())) store.update((s) => Object.assign(s, draft));
      return store.get();
    };
    const tick = () => {
      timer = setTimeout(() => {
        try {
          reconcile();
        } finally {
          tick();
        }
      }, tickMs);
    };
    tick();

    const deployer = deployerUrl(env);
    const pollMs = Number(process.env.UCP_FLEET_DEPLOYER_POLL_MS ?? 500);
    const poll = () => {
      pollTimer = setTimeout(() => {
        const sync = async () => {
          if (!deployer || faults.on('ignore-deployer-services')) return;
          const services = await appliedServices(deployer);
          reconcile((s) => syncServices(s, services));
        };
        // a deployer that does not answer leaves the services as they are until it does
        sync()
          .catch(() => undefined)
          .finally(poll);
      }, pollMs);
    };
    poll();

    const node = (name: string) => {
      const n = store.get().nodes[name];
      if (!n) throw new HttpError(404, `no worker node "${name}" has sent a heartbeat`);
      return n;
    };
    const assignment = (name: string) =>
      Object.values(store.get().assignments)
        .filter((a) => a.node === name)
        .map((a) => ({ ...a, command: store.get().services[a.service]?.command ?? null }));
    const running = (id: string, nodeName: string) =>
      reports.get(nodeName)?.instances.find((i) => i.id === id)?.running ?? false;

    app.put('/api/v1/services/:name', (req) => {
      const name = req.params.name ?? '';
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new HttpError(400, 'service name must be a lower-case name');
      const body = req.body as { replicas?: unknown; command?: unknown };
      const replicas = Number(body?.replicas);
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > 64)
        throw new HttpError(400, 'replicas must be 0..64');
      const command = body?.command ?? null;
      if (
        command !== null &&
        !(Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === 'string'))
      ) {
        throw new HttpError(400, 'command must be a non-empty argv array of strings');
      }
      reconcile((s) => {
        s.services[name] = {
          name,
          replicas,
          command: command as string[] | null,
          updatedAt: new Date().toISOString(),
          source: 'api',
        };
      });
      return store.get().services[name];
    });
    app.delete('/api/v1/services/:name', (req) => {
      reconcile((s) => void delete s.services[req.params.name ?? '']);
      return { deleted: req.params.name };
    });
    app.get('/api/v1/services', () => ({ services: Object.values(store.get().services) }));

    app.post('/api/v1/nodes/:name/heartbeat', (req) => {
      const name = req.params.name ?? '';
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new HttpError(400, 'node name must be a lower-case host name');
      const instances = (req.body as { instances?: Reported['instances'] })?.instances;
      reports.set(name, { at: Date.now(), instances: Array.isArray(instances) ? instances : [] });
      reconcile((s) => {
        const n = s.nodes[name];
        if (!n) {
          s.nodes[name] = { name, state: 'active', maintenance: false, registeredAt: new Date().toISOString() };
          recordEvent(s, 'node-joined', name);
        } else if (n.state === 'lost') {
          n.state = n.maintenance ? 'draining' : 'active';
          recordEvent(s, 'node-returned', `${name} is ${n.state} again`);
        }
      });
      return { node: name, state: node(name).state, assignment: assignment(name) };
    });
    app.get('/api/v1/nodes', () => ({
      nodes: Object.values(store.get().nodes).map((n) => ({
        ...n,
        lastHeartbeatAt: reports.has(n.name) ? new Date(reports.get(n.name)?.at ?? 0).toISOString() : null,
        instances: assignment(n.name).length,
      })),
    }));
    app.get('/api/v1/nodes/:name/assignment', (req) => ({ assignment: assignment(node(req.params.name ?? '').name) }));
    app.post('/api/v1/nodes/:name/drain', (req) => {
      const name = node(req.params.name ?? '').name;
      reconcile((s) => {
        const n = s.nodes[name];
        if (!n) return;
        n.maintenance = true;
        if (n.state === 'active') n.state = 'draining';
        if (!drainedAt.has(name)) drainedAt.set(name, Date.now());
        recordEvent(s, 'node-draining', name);
      });
      return node(name);
    });
    app.post('/api/v1/nodes/:name/activate', (req) => {
      const name = node(req.params.name ?? '').name;
      reconcile((s) => {
        const n = s.nodes[name];
        if (!n) return;
        n.maintenance = false;
        if (n.state === 'draining') n.state = 'active';
        drainedAt.delete(name);
        recordEvent(s, 'node-active', name);
      });
      return node(name);
    });
    app.get('/api/v1/placements', () => {
      const s = store.get();
      const placed = Object.values(s.assignments).map((a) => ({ ...a, running: running(a.id, a.node) }));
      const pending: Record<string, number> = {};
      for (const svc of Object.values(s.services)) {
        const missing = svc.replicas - placed.filter((p) => p.service === svc.name).length;
        if (missing > 0) pending[svc.name] = missing;
      }
      return { instances: placed, pending };
    });
    app.get('/api/v1/events', () => ({ events: store.get().events }));
  },
  onShutdown: () => {
    clearTimeout(timer);
    clearTimeout(pollTimer);
  },
});
