import { HttpError, reply, startHttpService } from '../common/http-service.ts';
import { lightningstorFaults } from './faults.ts';
import { type Bucket, ObjectStore, type ObjectVersion } from './object-store.ts';

/**
 * LightningStor in the reference lab: S3-style buckets with metadata and versioned objects, bytes on disk.
 *   GET/PUT /v1/buckets/:bucket, PUT /v1/buckets/:bucket/metadata, GET /v1/buckets
 *   PUT/GET/DELETE /v1/buckets/:bucket/objects/:key (GET ?versionId=), GET /v1/buckets/:bucket/versions?key=
 */
await startHttpService({
  faults: lightningstorFaults,
  routes(app, { env, faults }) {
    const store = new ObjectStore(env.stateDir);
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

    app.get('/v1/buckets', () => ({ buckets: store.buckets().map(view) }));
    app.put('/v1/buckets/:bucket', (req) => store.createBucket(req.params.bucket ?? '', metadataOf(req.body)));
    app.get('/v1/buckets/:bucket', (req) => view(store.bucket(req.params.bucket ?? '')));
    app.put('/v1/buckets/:bucket/metadata', (req) => {
      const name = req.params.bucket ?? '';
      const metadata = metadataOf(req.body);
      if (faults.on('metadata-not-persisted')) {
        store.bucket(name);
        volatileMetadata.set(name, metadata);
        return view(store.bucket(name));
      }
      volatileMetadata.delete(name);
      return store.setMetadata(name, metadata);
    });
    app.get('/v1/buckets/:bucket/versions', (req) => ({
      versions: withLatest(
        visible(store.versions(req.params.bucket ?? '', req.query.get('key') ?? undefined)).filter(
          (v) => !(v.deleteMarker && faults.on('deleted-still-listed')),
        ),
      ),
    }));
    app.put('/v1/buckets/:bucket/objects/:key*', (req) => {
      const bucket = req.params.bucket ?? '';
      const key = req.params.key ?? '';
      if (faults.on('drop-object-write')) return store.unstored(bucket, key, req.raw, req.remoteAddress);
      return store.put(bucket, key, req.raw, req.remoteAddress);
    });
    app.delete('/v1/buckets/:bucket/objects/:key*', (req) =>
      store.deleteMarker(req.params.bucket ?? '', req.params.key ?? '', req.remoteAddress),
    );
    app.get('/v1/buckets/:bucket/objects/:key*', (req) => {
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
