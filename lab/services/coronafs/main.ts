import { createHash } from 'node:crypto';
import { HttpError, type Request, reply, startHttpService } from '../common/http-service.ts';
import { coronafsFaults } from './faults.ts';
import { ObjectStoreClient } from './object-store-client.ts';
import { Volumes } from './volumes.ts';

/**
 * CoronaFS in the reference lab: shared volumes (sparse image files) attached to one node at a time, written
 * and read through the API, snapshotted and exported.
 *   POST /v1/volumes {name,sizeBytes}, GET /v1/volumes[/:name], POST /v1/volumes/:name/attach|detach {node},
 *   PUT /v1/volumes/:name/data?offset=&node= (raw bytes), GET /v1/volumes/:name/data?offset=&length=[&snapshot=],
 *   POST /v1/volumes/:name/snapshots {name}, GET /v1/volumes/:name/export (image bytes + x-sha256),
 *   GET /v1/volumes/:name/image (where the image lives on the storage the workers share: a VM disk's path)
 *   POST /v1/volumes/:name/snapshots/:snapshot/export {bucket,key}: CoronaFS PUTs the snapshot's image into
 *     LightningStor itself (the first instance of the cluster that answers) and answers the version it wrote
 *   POST /v1/volumes {name, from: {bucket,key,versionId?}}: a volume holding an object CoronaFS fetches itself
 */
await startHttpService({
  faults: coronafsFaults,
  routes(app, { env, faults }) {
    const volumes = new Volumes(env.stateDir);
    const objects = new ObjectStoreClient(env.cluster.nodes);
    /** where each volume's snapshots were shipped (fault export-follows-volume ships later writes there too) */
    const shippedTo = new Map<string, Array<{ bucket: string; key: string }>>();
    /** writes acknowledged but only held in memory (fault lose-writes-on-restart) */
    const unflushed = new Map<string, Array<{ offset: number; data: Buffer }>>();
    const withUnflushed = (name: string, offset: number, buf: Buffer) => {
      for (const w of unflushed.get(name) ?? []) {
        const from = Math.max(w.offset, offset);
        const to = Math.min(w.offset + w.data.length, offset + buf.length);
        if (from < to) w.data.copy(buf, from - offset, from - w.offset, to - w.offset);
      }
      return buf;
    };
    const num = (req: Request, key: string, fallback?: number) => {
      const raw = req.query.get(key);
      const n = raw === null ? fallback : Number(raw);
      if (n === undefined || !Number.isInteger(n) || n < 0)
        throw new HttpError(400, `query parameter "${key}" must be a non-negative integer`);
      return n;
    };
    const nodeOf = (req: Request) => {
      const node = (req.body as { node?: unknown } | undefined)?.node ?? req.query.get('node');
      if (typeof node !== 'string' || !node) throw new HttpError(400, 'the attaching node is required ("node")');
      return node;
    };

    app.get('/v1/volumes', () => ({ volumes: volumes.list() }));
    app.post('/v1/volumes', async (req) => {
      const body = (req.body ?? {}) as { name?: unknown; sizeBytes?: unknown; from?: unknown };
      if (typeof body.name !== 'string') throw new HttpError(400, 'name is required');
      if (body.from !== undefined) {
        const { bytes } = await objects.get(objectRef(body.from, 'from'));
        const made = volumes.create(body.name, Math.max(bytes.length, 1));
        if (!faults.on('restore-ignores-object')) volumes.write(body.name, 0, bytes);
        return made;
      }
      if (typeof body.sizeBytes !== 'number' || !Number.isInteger(body.sizeBytes) || body.sizeBytes <= 0) {
        throw new HttpError(400, 'sizeBytes must be a positive integer');
      }
      return volumes.create(body.name, body.sizeBytes);
    });
    app.get('/v1/volumes/:name', (req) => volumes.get(req.params.name ?? ''));
    app.get('/v1/volumes/:name/image', (req) => {
      const name = req.params.name ?? '';
      return { name, path: volumes.imagePath(name) };
    });
    app.post('/v1/volumes/:name/attach', (req) => volumes.attach(req.params.name ?? '', nodeOf(req)));
    app.post('/v1/volumes/:name/detach', (req) => volumes.detach(req.params.name ?? '', nodeOf(req)));
    app.put('/v1/volumes/:name/data', async (req) => {
      const name = req.params.name ?? '';
      const offset = num(req, 'offset', 0);
      volumes.checkWrite(name, nodeOf(req), offset, req.raw.length);
      if (faults.on('lose-writes-on-restart')) {
        unflushed.set(name, [...(unflushed.get(name) ?? []), { offset, data: Buffer.from(req.raw) }]);
      } else {
        volumes.write(name, offset, req.raw);
      }
      if (faults.on('export-follows-volume')) {
        const image = volumes.read(name, 0, volumes.get(name).sizeBytes);
        for (const to of shippedTo.get(name) ?? []) await objects.put(to.bucket, to.key, image);
      }
      return { written: req.raw.length, offset };
    });
    app.get('/v1/volumes/:name/data', (req) => {
      const name = req.params.name ?? '';
      const offset = num(req, 'offset', 0);
      const length = num(req, 'length', volumes.get(name).sizeBytes);
      const snapshot = req.query.get('snapshot') ?? undefined;
      if (snapshot !== undefined) volumes.read(name, 0, 0, snapshot); // the snapshot must exist, fault or not
      const data = volumes.read(name, offset, length, faults.on('snapshot-follows-volume') ? undefined : snapshot);
      return reply({ body: snapshot === undefined ? withUnflushed(name, offset, data) : data });
    });
    app.post('/v1/volumes/:name/snapshots', (req) => {
      const snap = (req.body as { name?: unknown } | undefined)?.name;
      if (typeof snap !== 'string') throw new HttpError(400, 'snapshot name is required');
      return volumes.snapshot(req.params.name ?? '', snap);
    });
    app.post('/v1/volumes/:name/snapshots/:snapshot/export', async (req) => {
      const name = req.params.name ?? '';
      const snapshot = req.params.snapshot ?? '';
      const to = objectRef(req.body, 'body');
      const { sizeBytes } = volumes.get(name);
      volumes.read(name, 0, 0, snapshot); // the snapshot must exist, fault or not
      const image = volumes.read(name, 0, sizeBytes, faults.on('export-live-volume') ? undefined : snapshot);
      const put = await objects.put(to.bucket, to.key, image);
      shippedTo.set(name, [...(shippedTo.get(name) ?? []), { bucket: to.bucket, key: to.key }]);
      return {
        volume: name,
        snapshot,
        bucket: to.bucket,
        key: to.key,
        versionId: put.versionId,
        size: image.length,
        sha256: createHash('sha256').update(image).digest('hex'),
        store: put.store,
      };
    });
    app.get('/v1/volumes/:name/export', (req) => {
      const name = req.params.name ?? '';
      const image = withUnflushed(name, 0, volumes.read(name, 0, volumes.get(name).sizeBytes));
      return reply({ body: image, headers: { 'x-sha256': createHash('sha256').update(image).digest('hex') } });
    });
  },
});

/** `{bucket, key, versionId?}` from a request, refused naming the field */
function objectRef(value: unknown, field: string): { bucket: string; key: string; versionId?: string } {
  const ref = (value ?? {}) as { bucket?: unknown; key?: unknown; versionId?: unknown };
  if (typeof ref.bucket !== 'string' || !ref.bucket) throw new HttpError(400, `${field}.bucket is required`);
  if (typeof ref.key !== 'string' || !ref.key) throw new HttpError(400, `${field}.key is required`);
  if (ref.versionId !== undefined && typeof ref.versionId !== 'string')
    throw new HttpError(400, `${field}.versionId must be a string`);
  return { bucket: ref.bucket, key: ref.key, ...(ref.versionId ? { versionId: ref.versionId } : {}) };
}
