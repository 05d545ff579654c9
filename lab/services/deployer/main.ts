import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError, type Request, reply, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import { BinaryCacheServer } from './binary-cache.ts';
import { requireBootstrapToken, sha256 } from './bootstrap-auth.ts';
import { type AppliedRecord, registerClusterRoutes } from './cluster-apply.ts';
import { readDeployerConfig } from './deployer-config.ts';
import {
  type DeployerState,
  desiredFor,
  emptyDeployerState,
  findNode,
  type NodeRecord,
  parseDesired,
  parseInstallPlan,
  parseName,
} from './deployer-state.ts';
import { deployerFaults } from './faults.ts';
import { buildClassBundle } from './flake-bundle.ts';

/**
 * Deployer in the reference lab. Node-facing routes (phone-home, bundle) need the bootstrap token as
 * `Authorization: Bearer <token>` unless UCP_DEPLOYER_ALLOW_UNAUTHENTICATED=true (lab mode).
 *   PUT  /api/v1/admin/classes/:name {install_plan, desired_system?, bundle_path?}   a node class
 *   GET  /api/v1/admin/classes
 *   POST /api/v1/admin/bootstrap-tokens                          a new bootstrap token (answered once, kept hashed)
 *   DELETE /api/v1/admin/bootstrap-tokens/:id                    revoke it
 *   POST /api/v1/admin/nodes {node_id, node_class, hostname?}   pre-register; a replay answers the same node
 *   GET  /api/v1/admin/nodes, GET /api/v1/admin/nodes/:id       list / inspect
 *   PUT  /api/v1/admin/nodes/:id/desired-system {target_system, health_check_command?}
 *   POST /api/v1/phone-home {node_id, hostname, disks_by_id}     the node's install plan
 *   GET  /api/v1/bundle/:class[?node_id=], GET /api/v1/bundle?node_id=   the flake bundle (tar.gz)
 *   GET  /api/v1/admin/bundle-fetches                            every bundle served: node, class, sha256, bytes, time
 *   GET  /api/v1/nodes/:id/desired-system                        for nix-agent
 *   POST /api/v1/nodes/:id/status {observed, generation, target_system?, current_system?, detail?}
 *   POST /api/v1/nodes/:id/observed-system {status, target_system, current_system?}   the installer's agent
 *   GET  /cache/<file>                                           the lab's signed Nix binary cache (UCP_BINARY_CACHE_DIR)
 *   GET  /api/v1/admin/binary-cache/requests                     every request the cache answered
 * With a cache, a node's desired system carries binary_cache_url: where nix-agent substitutes the closure from.
 *   POST /api/v1/admin/cluster/apply, GET /api/v1/admin/cluster   `deployer-ctl apply` (cluster-apply.ts)
 */
await startHttpService({
  faults: deployerFaults,
  routes(app, { env, faults }) {
    const config = readDeployerConfig();
    const store = new JsonStore<DeployerState & { applied?: AppliedRecord }>(
      join(env.stateDir, 'deployer.json'),
      emptyDeployerState,
    );
    if (faults.on('forget-preregistered-on-restart'))
      store.update((s) => {
        s.nodes = [];
      });
    const nodeAuth = (req: Request) => {
      if (faults.on('refuse-phone-home')) throw new HttpError(403, 'phone-home refused');
      requireBootstrapToken(req, config, store.get().tokens ?? [], faults.on('accept-any-token'));
    };
    const now = () => new Date().toISOString();
    const cacheDir = process.env.UCP_BINARY_CACHE_DIR;
    const cache = cacheDir ? new BinaryCacheServer(cacheDir) : null;
    const cacheUrl = cache ? `http://${env.host}:${env.port}/cache` : null;
    const serveCache = (req: Request) => {
      if (!cache) throw new HttpError(404, 'this deployer serves no binary cache');
      const signatures = faults.on('unsigned-narinfo')
        ? 'strip'
        : faults.on('foreign-signed-narinfo')
          ? 'foreign'
          : 'as-signed';
      return cache.serve(req.params.file ?? '', req, signatures);
    };
    app.get('/cache/:file*', serveCache);
    app.on('HEAD', '/cache/:file*', serveCache);
    app.get('/api/v1/admin/binary-cache/requests', () => ({
      binary_cache_url: cacheUrl,
      requests: cache?.requests ?? [],
    }));
    const mutateNode = (id: string, fn: (n: NodeRecord) => void) =>
      store.update((s) => {
        fn(findNode(s, id));
      });
    registerClusterRoutes(app, store, faults, now);

    app.put('/api/v1/admin/classes/:name', (req) => {
      const name = parseName(req.params.name, 'class name');
      const body = req.body as { install_plan?: unknown; desired_system?: unknown; bundle_path?: unknown };
      const install_plan = parseInstallPlan(body?.install_plan);
      const desired = body?.desired_system ? parseDesired(body.desired_system, 'desired_system') : null;
      if (body?.bundle_path !== undefined && typeof body.bundle_path !== 'string') {
        throw new HttpError(400, 'bundle_path must be a path to a tar.gz');
      }
      const next = store.update((s) => {
        const previous = s.classes[name]?.desired_system;
        const same =
          previous &&
          desired &&
          previous.target_system === desired.target_system &&
          previous.health_check_command === desired.health_check_command;
        if (desired && !same) s.publications++;
        s.classes[name] = {
          name,
          install_plan,
          desired_system: desired
            ? same && previous
              ? previous
              : { ...desired, generation: s.publications, published_at: now() }
            : null,
          bundle_path: (body?.bundle_path as string | undefined) ?? null,
        };
      });
      return next.classes[name];
    });
    app.get('/api/v1/admin/classes', () => ({ classes: Object.values(store.get().classes) }));
    app.post('/api/v1/admin/bootstrap-tokens', () => {
      const token = `ucbt_${randomBytes(24).toString('base64url')}`;
      const id = randomUUID();
      store.update((s) => {
        s.tokens = [...(s.tokens ?? []), { id, sha256: sha256(token), created_at: now() }];
      });
      return reply({ status: 201, json: { id, token } });
    });
    app.delete('/api/v1/admin/bootstrap-tokens/:id', (req) => {
      const id = req.params.id ?? '';
      if (!(store.get().tokens ?? []).some((t) => t.id === id)) throw new HttpError(404, `no bootstrap token "${id}"`);
      if (!faults.on('revoked-token-accepted')) {
        store.update((s) => {
          s.tokens = s.tokens.filter((t) => t.id !== id);
        });
      }
      return { revoked: id };
    });

    app.post('/api/v1/admin/nodes', (req) => {
      const body = req.body as { node_id?: unknown; node_class?: unknown; hostname?: unknown };
      const nodeId = parseName(body?.node_id, 'node_id');
      const nodeClass = parseName(body?.node_class, 'node_class');
      const hostname = body?.hostname === undefined ? null : parseName(body.hostname, 'hostname');
      if (!store.get().classes[nodeClass]) throw new HttpError(422, `unknown node class "${nodeClass}"`);
      const existing = store.get().nodes.find((n) => n.node_id === nodeId);
      if (existing && !faults.on('non-idempotent-preregister')) {
        if (existing.node_class !== nodeClass || existing.hostname !== hostname) {
          throw new HttpError(409, `node "${nodeId}" is pre-registered with a different class or hostname`);
        }
        return { node: existing, created: false };
      }
      const record: NodeRecord = {
        node_id: nodeId,
        node_class: nodeClass,
        hostname,
        registered_at: now(),
        phone_home: null,
        desired_system: null,
        observed: null,
      };
      store.update((s) => void s.nodes.push(record));
      return reply({ status: 201, json: { node: record, created: true } });
    });
    app.get('/api/v1/admin/nodes', () => ({ nodes: store.get().nodes }));
    app.get('/api/v1/admin/nodes/:id', (req) => {
      const node = findNode(store.get(), req.params.id ?? '');
      return { ...node, effective_desired_system: desiredFor(store.get(), node) };
    });
    app.put('/api/v1/admin/nodes/:id/desired-system', (req) => {
      const desired = parseDesired(req.body, 'body');
      const id = req.params.id ?? '';
      findNode(store.get(), id);
      const s = store.update((draft) => {
        draft.publications++;
        findNode(draft, id).desired_system = { ...desired, generation: draft.publications, published_at: now() };
      });
      return findNode(s, id).desired_system;
    });

    app.post('/api/v1/phone-home', (req) => {
      nodeAuth(req);
      const body = req.body as { node_id?: unknown; hostname?: unknown; disks_by_id?: unknown; disks?: unknown };
      const nodeId = parseName(body?.node_id, 'node_id');
      const node = findNode(store.get(), nodeId);
      const cls = store.get().classes[node.node_class];
      if (!cls) throw new HttpError(409, `node "${nodeId}" has class "${node.node_class}", which no longer exists`);
      const disksRaw = body.disks_by_id ?? body.disks ?? [];
      const disks = Array.isArray(disksRaw) ? disksRaw.map(String) : [];
      const hostname = typeof body.hostname === 'string' ? body.hostname : node.hostname;
      mutateNode(nodeId, (n) => {
        n.phone_home = { at: now(), hostname, disks_by_id: disks };
      });
      return {
        node_id: nodeId,
        node_class: cls.name,
        hostname: node.hostname ?? hostname,
        ...cls.install_plan,
        install_plan: cls.install_plan,
        desired_system: desiredFor(store.get(), node),
        target_disk_present: disks.length ? disks.includes(cls.install_plan.target_disk_by_id) : null,
        bundle_url: `/api/v1/bundle/${encodeURIComponent(cls.name)}`,
      };
    });
    // every download is recorded with the digest of the bytes the deployer means to serve: its own provenance record
    const bundle = async (className: string, nodeId: string | null) => {
      const cls = store.get().classes[className];
      if (!cls) throw new HttpError(404, `no node class "${className}"`);
      if (nodeId !== null) findNode(store.get(), nodeId);
      const path = cls.bundle_path ?? config.bundlePath ?? (await buildClassBundle(env.stateDir, cls));
      const bytes = readFileSync(path);
      const fetch = {
        node_id: nodeId,
        node_class: cls.name,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
        at: now(),
      };
      store.update((s) => {
        s.bundle_fetches = [...(s.bundle_fetches ?? []), fetch];
      });
      // the fault serves other bytes than it records: the gzip header's MTIME changed, the content unpacks the same
      const served = faults.on('serve-altered-bundle') ? alterGzipMtime(bytes) : bytes;
      return reply({ body: served, headers: { 'content-type': 'application/gzip' } });
    };
    app.get('/api/v1/bundle/:class', (req) => {
      nodeAuth(req);
      return bundle(req.params.class ?? '', req.query.get('node_id') || null);
    });
    app.get('/api/v1/bundle', (req) => {
      nodeAuth(req);
      const nodeId = req.query.get('node_id');
      if (!nodeId) throw new HttpError(400, 'node_id query parameter (or /api/v1/bundle/:class) is required');
      return bundle(findNode(store.get(), nodeId).node_class, nodeId);
    });
    app.get('/api/v1/admin/bundle-fetches', () => ({ fetches: store.get().bundle_fetches ?? [] }));

    app.get('/api/v1/nodes/:id/desired-system', (req) => {
      const node = findNode(store.get(), req.params.id ?? '');
      const desired = desiredFor(store.get(), node);
      if (!desired) throw new HttpError(404, `no desired system is published for node "${node.node_id}"`);
      const binary_cache_url = faults.on('omit-binary-cache-url') ? null : cacheUrl;
      return { node_id: node.node_id, ...desired, ...(binary_cache_url ? { binary_cache_url } : {}) };
    });
    const report = (id: string, status: Omit<NodeRecord['observed'] & object, 'reported_at'>) => {
      mutateNode(id, (n) => {
        n.observed = { ...status, reported_at: now() };
      });
      return findNode(store.get(), id).observed;
    };
    app.post('/api/v1/nodes/:id/status', (req) => {
      const b = req.body as Record<string, unknown>;
      if (typeof b?.observed !== 'string') throw new HttpError(400, 'observed (a status string) is required');
      return report(req.params.id ?? '', {
        observed: b.observed,
        generation: typeof b.generation === 'number' ? b.generation : null,
        target_system: typeof b.target_system === 'string' ? b.target_system : null,
        current_system: typeof b.current_system === 'string' ? b.current_system : null,
        detail: typeof b.detail === 'string' ? b.detail : null,
      });
    });
    app.post('/api/v1/nodes/:id/observed-system', (req) => {
      const b = req.body as Record<string, unknown>;
      if (typeof b?.status !== 'string') throw new HttpError(400, 'status is required');
      const id = req.params.id ?? '';
      const desired = desiredFor(store.get(), findNode(store.get(), id));
      return report(id, {
        observed: b.status,
        generation: desired && desired.target_system === b.target_system ? desired.generation : null,
        target_system: typeof b.target_system === 'string' ? b.target_system : null,
        current_system: typeof b.current_system === 'string' ? b.current_system : null,
        detail: null,
      });
    });
  },
});

/** the same gzip stream with another MTIME in its header (bytes 4-7), which no decompressor checks */
function alterGzipMtime(bytes: Buffer): Buffer {
  const altered = Buffer.from(bytes);
  if (altered.length > 8) altered.writeUInt32LE((altered.readUInt32LE(4) + 1) >>> 0, 4);
  return altered;
}
