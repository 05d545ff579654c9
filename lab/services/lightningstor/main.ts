import { z } from 'zod';
import { HttpError, type Request, reply, startHttpService } from '../common/http-service.ts';
import { lightningstorFaults } from './faults.ts';
import { type Bucket, ObjectStore, type ObjectVersion } from './object-store.ts';

/**
 * LightningStor in the reference lab: S3-style buckets with metadata and versioned objects, bytes on disk,
 * replicated on every node of the cluster that runs it.
 *   GET/PUT /v1/buckets/:bucket, PUT /v1/buckets/:bucket/metadata, GET /v1/buckets
 *   PUT/GET/DELETE /v1/buckets/:bucket/objects/:key (GET ?versionId=), GET /v1/buckets/:bucket/versions?key=
 *   POST /_replica/apply: a write another replica took, applied here (replication between instances)
 * Rule: the instance that takes a write sends it to every other replica first and answers only once each has
 * stored it (fsynced), then keeps it itself; when a replica cannot be reached the write is refused (503) and not
 * kept here. Each version records `writer`, the address of the client whose request wrote it. Reads are served
 * by whichever replica is asked, from its own copy.
 */
await startHttpService({
  faults: lightningstorFaults,
  routes(app, { env, faults }) {
    const store = new ObjectStore(env.stateDir);
    const replicas = env.cluster.nodes.filter((n) => n.services.lightningstor);
    const peers = replicas.filter((n) => n.name !== env.node);
    /** metadata acknowledged but only held in memory (fault metadata-not-persisted) */
    const volatileMetadata = new Map<string, Record<string, string>>();
    const view = (b: Bucket): Bucket => ({ ...b, metadata: volatileMetadata.get(b.name) ?? b.metadata });
    const visible = (all: ObjectVersion[]): ObjectVersion[] => {
      if (!faults.on('lose-object-version')) return all;
      const latest = new Map(all.map((v) => [v.key, v.versionId]));
      return all.filter((v) => latest.get(v.key) === v.versionId);
    };
    const withLatest = (all: ObjectVersion[]) => {
      const latest = new Map(all.map((v) => [v.key, v.versionId]));
      return all.map((v) => ({ ...v, isLatest: latest.get(v.key) === v.versionId }));
    };

    /**
     * send a write to every other replica; resolves once each answered that it stored it. The change travels as
     * base64 JSON in a header, an object version's bytes as the raw body.
     */
    const replicate = async (change: Change, data?: Buffer) => {
      const header = Buffer.from(JSON.stringify(change)).toString('base64');
      await Promise.all(
        peers.map(async (peer) => {
          const ep = peer.services.lightningstor as { host: string; port: number };
          const res = await fetch(`http://${ep.host}:${ep.port}/_replica/apply`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream', 'x-replica-change': header },
            body: data ?? Buffer.alloc(0),
            signal: AbortSignal.timeout(120_000),
          }).catch((err: Error) => {
            const cause = (err.cause as Error | undefined)?.message;
            throw new HttpError(
              503,
              `not stored: replica ${peer.name} cannot be reached (${err.message}${cause ? `: ${cause}` : ''})`,
            );
          });
          if (!res.ok) throw new HttpError(503, `not stored: replica ${peer.name} answered ${res.status}`);
        }),
      );
    };
    const apply = (change: Change, data?: Buffer) => {
      if (change.op === 'bucket') store.keepBucket(change.bucket);
      else if (change.op === 'metadata') store.setMetadata(change.name, change.metadata);
      else store.store(change.bucket, change.version, data);
    };
    /** a read answered by the first replica instead of this one (fault reads-from-first-replica) */
    const forwarded = async (req: Request) => {
      const first = replicas[0];
      if (!faults.on('reads-from-first-replica') || !first || first.name === env.node) return undefined;
      const ep = first.services.lightningstor as { host: string; port: number };
      const res = await fetch(`http://${ep.host}:${ep.port}${req.path}?${req.query}`, {
        signal: AbortSignal.timeout(10_000),
      }).catch((err: Error) => {
        throw new HttpError(502, `replica ${first.name} cannot be reached (${err.message})`);
      });
      const headers: Record<string, string> = {};
      for (const h of ['x-version-id', 'x-sha256', 'x-writer']) {
        const v = res.headers.get(h);
        if (v !== null) headers[h] = v;
      }
      return reply({ status: res.status, body: Buffer.from(await res.arrayBuffer()), headers });
    };

    app.post('/_replica/apply', (req) => {
      const header = req.headers['x-replica-change'];
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(typeof header === 'string' ? header : '', 'base64').toString('utf8'));
      } catch {
        throw new HttpError(400, 'x-replica-change is not base64 JSON');
      }
      const parsed = ReplicaChange.safeParse(decoded);
      if (!parsed.success) throw new HttpError(400, `invalid replica change: ${parsed.error.message}`);
      if (faults.on('replica-acks-without-storing')) return { stored: true };
      apply(parsed.data, req.raw);
      return { stored: true };
    });
    app.get('/v1/buckets', async (req) => (await forwarded(req)) ?? { buckets: store.buckets().map(view) });
    app.put('/v1/buckets/:bucket', async (req) => {
      const bucket = store.newBucket(req.params.bucket ?? '', metadataOf(req.body));
      await replicate({ op: 'bucket', bucket });
      return store.keepBucket(bucket);
    });
    app.get(
      '/v1/buckets/:bucket',
      async (req) => (await forwarded(req)) ?? view(store.bucket(req.params.bucket ?? '')),
    );
    app.put('/v1/buckets/:bucket/metadata', async (req) => {
      const name = req.params.bucket ?? '';
      const metadata = metadataOf(req.body);
      if (faults.on('metadata-not-persisted')) {
        store.bucket(name);
        volatileMetadata.set(name, metadata);
        return view(store.bucket(name));
      }
      store.bucket(name);
      await replicate({ op: 'metadata', name, metadata });
      volatileMetadata.delete(name);
      return store.setMetadata(name, metadata);
    });
    app.get(
      '/v1/buckets/:bucket/versions',
      async (req) =>
        (await forwarded(req)) ?? {
          versions: withLatest(
            visible(store.versions(req.params.bucket ?? '', req.query.get('key') ?? undefined)).filter(
              (v) => !(v.deleteMarker && faults.on('deleted-still-listed')),
            ),
          ),
        },
    );
    app.put('/v1/buckets/:bucket/objects/:key*', async (req) => {
      const bucket = req.params.bucket ?? '';
      const version = store.newVersion(bucket, req.params.key ?? '', req.raw, req.remoteAddress);
      // the answer a PUT gets, with nothing stored anywhere
      if (faults.on('drop-object-write')) return version;
      if (faults.on('writer-not-recorded')) delete version.writer;
      await replicate({ op: 'version', bucket, version }, req.raw);
      return store.store(bucket, version, req.raw);
    });
    app.delete('/v1/buckets/:bucket/objects/:key*', async (req) => {
      const bucket = req.params.bucket ?? '';
      const marker = store.newDeleteMarker(bucket, req.params.key ?? '', req.remoteAddress);
      await replicate({ op: 'version', bucket, version: marker });
      return store.store(bucket, marker);
    });
    app.get('/v1/buckets/:bucket/objects/:key*', async (req) => {
      const relayed = await forwarded(req);
      if (relayed) return relayed;
      const bucket = req.params.bucket ?? '';
      const key = req.params.key ?? '';
      const wanted = req.query.get('versionId');
      const versions = visible(store.versions(bucket, key));
      const latest = faults.on('deleted-still-served') ? versions.filter((v) => !v.deleteMarker) : versions;
      const version = wanted ? versions.find((v) => v.versionId === wanted) : latest.at(-1);
      if (!version)
        throw new HttpError(404, `no ${wanted ? `version "${wanted}" of ` : ''}object "${key}" in "${bucket}"`);
      if (version.deleteMarker)
        throw new HttpError(404, `object "${key}" in "${bucket}" is deleted (${version.versionId})`);
      return reply({
        body: store.read(version),
        headers: {
          'x-version-id': version.versionId,
          'x-sha256': version.sha256,
          ...(version.writer ? { 'x-writer': version.writer } : {}),
        },
      });
    });
  },
});

const Metadata = z.record(z.string(), z.string());
const VersionRecord = z.object({
  key: z.string().min(1),
  versionId: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  deleteMarker: z.boolean(),
  createdAt: z.string(),
  writer: z.string().optional(),
});
/** a write one replica took, as it sends it to the others (an object version's bytes travel as the body) */
const ReplicaChange = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('bucket'),
    bucket: z.object({ name: z.string(), metadata: Metadata, createdAt: z.string() }),
  }),
  z.object({ op: z.literal('metadata'), name: z.string(), metadata: Metadata }),
  z.object({ op: z.literal('version'), bucket: z.string(), version: VersionRecord }),
]);
type Change = z.infer<typeof ReplicaChange>;

function metadataOf(body: unknown): Record<string, string> {
  const metadata = (body as { metadata?: unknown } | undefined)?.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new HttpError(400, 'metadata must be an object of strings');
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new HttpError(400, `metadata.${k} must be a string`);
  }
  return metadata as Record<string, string>;
}
