import { z } from 'zod';
import { requestJson } from '../../../helpers/http.ts';
import { HttpError, startHttpService } from '../common/http-service.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { ApiObjects, type Kind } from './api-objects.ts';
import { k8shostFaults } from './faults.ts';

/**
 * K8sHost in the reference lab: tenant pods and services as API objects, service endpoints from pod labels,
 * and a resumable watch (long-poll) of ADDED/MODIFIED/DELETED events by resourceVersion.
 *   /v1/namespaces/:ns/pods[/:name], /v1/namespaces/:ns/services[/:name], .../services/:name/endpoints,
 *   GET /v1/watch?kind=pods|services|endpoints&resourceVersion=N&timeoutMs=T
 */
const Labels = z.record(z.string(), z.string()).default({});
const PodBody = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  labels: Labels,
  image: z.string().default('lab/pause'),
});
const ServiceBody = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  selector: z.record(z.string(), z.string()),
  port: z.number().int().min(1).max(65535).default(80),
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const res = schema.safeParse(body ?? {});
  if (!res.success)
    throw new HttpError(400, res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return res.data;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

await startHttpService({
  faults: k8shostFaults,
  routes(app, { env, faults }) {
    const api = new ApiObjects(env.stateDir);
    const workers = env.cluster.nodes.filter((n) => n.role === 'worker').map((n) => n.name);
    let placed = 0;

    /** the endpoints controller: recompute every service's endpoints in a namespace after a pod change */
    const reconcileEndpoints = (namespace: string) => {
      if (faults.on('service-endpoints-stale')) return;
      for (const svc of api.list('services', namespace)) {
        const selector = svc.spec.selector as Record<string, string>;
        const pods = api
          .list('pods', namespace)
          .filter((p) => matches(selector, p.labels))
          .map((p) => p.name)
          .sort();
        const current = api.find('endpoints', namespace, svc.name)?.spec.pods;
        if (JSON.stringify(current) !== JSON.stringify(pods)) {
          api.put({ kind: 'endpoints', namespace, name: svc.name, spec: { pods, port: svc.spec.port } }, false);
        }
      }
    };
    const listing = (kind: Kind, ns: string) => ({ items: api.list(kind, ns), resourceVersion: api.resourceVersion });

    app.get('/v1/namespaces/:ns/pods', (req) => listing('pods', req.params.ns ?? ''));
    app.get('/v1/namespaces/:ns/pods/:name', (req) => api.get('pods', req.params.ns ?? '', req.params.name ?? ''));
    app.post('/v1/namespaces/:ns/pods', async (req) => {
      const body = parse(PodBody, req.body);
      const nodeName = workers.length ? workers[placed++ % workers.length] : env.node;
      const ns = req.params.ns ?? '';
      const pod = api.put(
        { kind: 'pods', namespace: ns, name: body.name, labels: body.labels, spec: { image: body.image, nodeName } },
        true,
      );
      reconcileEndpoints(ns);
      if (faults.on('pods-as-host-services')) await registerAsHostService(env, body.name);
      return pod;
    });
    app.put('/v1/namespaces/:ns/pods/:name', (req) => {
      const ns = req.params.ns ?? '';
      const old = api.get('pods', ns, req.params.name ?? '');
      const labels = parse(z.object({ labels: Labels }), req.body).labels;
      const pod = api.put({ kind: 'pods', namespace: ns, name: old.name, labels, spec: old.spec }, false);
      reconcileEndpoints(ns);
      return pod;
    });
    app.delete('/v1/namespaces/:ns/pods/:name', (req) => {
      const ns = req.params.ns ?? '';
      const gone = api.remove('pods', ns, req.params.name ?? '');
      reconcileEndpoints(ns);
      return gone;
    });

    app.get('/v1/namespaces/:ns/services', (req) => listing('services', req.params.ns ?? ''));
    app.get('/v1/namespaces/:ns/services/:name', (req) =>
      api.get('services', req.params.ns ?? '', req.params.name ?? ''),
    );
    app.post('/v1/namespaces/:ns/services', (req) => {
      const body = parse(ServiceBody, req.body);
      const ns = req.params.ns ?? '';
      const svc = api.put(
        { kind: 'services', namespace: ns, name: body.name, spec: { selector: body.selector, port: body.port } },
        true,
      );
      reconcileEndpoints(ns);
      return svc;
    });
    app.delete('/v1/namespaces/:ns/services/:name', (req) => {
      const ns = req.params.ns ?? '';
      const gone = api.remove('services', ns, req.params.name ?? '');
      if (api.find('endpoints', ns, gone.name)) api.remove('endpoints', ns, gone.name);
      return gone;
    });
    app.get('/v1/namespaces/:ns/services/:name/endpoints', (req) => {
      const ns = req.params.ns ?? '';
      api.get('services', ns, req.params.name ?? '');
      return (
        api.find('endpoints', ns, req.params.name ?? '') ?? {
          kind: 'endpoints',
          namespace: ns,
          name: req.params.name,
          spec: { pods: [] },
        }
      );
    });

    app.get('/v1/watch', async (req) => {
      const kind = parse(z.enum(['pods', 'services', 'endpoints']), req.query.get('kind') ?? 'pods');
      const from = Number(req.query.get('resourceVersion') ?? api.resourceVersion);
      const timeoutMs = Math.min(Number(req.query.get('timeoutMs') ?? 10_000), 60_000);
      if (!Number.isInteger(from) || from < 0)
        throw new HttpError(400, 'resourceVersion must be a non-negative integer');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = api.eventsAfter(from);
        const delivered = all.filter(
          (e) => e.object.kind === kind && !(faults.on('watch-drops-events') && e.resourceVersion % 2 === 0),
        );
        const last = all.at(-1)?.resourceVersion ?? from;
        if (delivered.length > 0 || Date.now() >= deadline) {
          return { events: delivered, resourceVersion: delivered.length ? last : Math.max(from, last) };
        }
        await api.nextChange(deadline - Date.now());
      }
    });
  },
});

/** fault pods-as-host-services: the pod is also put to fleet-scheduler as a (zero-replica) host service */
async function registerAsHostService(env: ServiceEnvironment, name: string): Promise<void> {
  for (const node of env.cluster.nodes) {
    const ep = node.services?.['fleet-scheduler'];
    if (!ep) continue;
    const url = `${ep.scheme === 'https' ? 'https' : 'http'}://${ep.host}:${ep.port}`;
    await requestJson('PUT', `${url}/api/v1/services/${encodeURIComponent(name)}`, { body: { replicas: 0 } });
    return;
  }
}
