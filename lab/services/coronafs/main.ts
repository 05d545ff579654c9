import { createHash } from 'node:crypto';
import { HttpError, type Request, reply, startHttpService } from '../common/http-service.ts';
import { coronafsFaults } from './faults.ts';
import { Volumes } from './volumes.ts';

/**
 * CoronaFS in the reference lab: shared volumes (sparse image files) attached to one node at a time, written
 * and read through the API, snapshotted and exported.
 *   POST /v1/volumes {name,sizeBytes}, GET /v1/volumes[/:name], POST /v1/volumes/:name/attach|detach {node},
 *   PUT /v1/volumes/:name/data?offset=&node= (raw bytes), GET /v1/volumes/:name/data?offset=&length=[&snapshot=],
 *   POST /v1/volumes/:name/snapshots {name}, GET /v1/volumes/:name/export (image bytes + x-sha256),
 *   GET /v1/volumes/:name/image (where the image lives on the storage the workers share: a VM disk's path)
 */
await startHttpService({
  faults: coronafsFaults,
  routes(app, { env, faults }) {
    const volumes = new Volumes(env.stateDir);
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
    app.post('/v1/volumes', (req) => {
      const body = (req.body ?? {}) as { name?: unknown; sizeBytes?: unknown };
      if (typeof body.name !== 'string') throw new HttpError(400, 'name is required');
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
    app.put('/v1/volumes/:name/data', (req) => {
      const name = req.params.name ?? '';
      const offset = num(req, 'offset', 0);
      volumes.checkWrite(name, nodeOf(req), offset, req.raw.length);
      if (faults.on('lose-writes-on-restart')) {
        unflushed.set(name, [...(unflushed.get(name) ?? []), { offset, data: Buffer.from(req.raw) }]);
      } else {
        volumes.write(name, offset, req.raw);
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
    app.get('/v1/volumes/:name/export', (req) => {
      const name = req.params.name ?? '';
      const image = withUnflushed(name, 0, volumes.read(name, 0, volumes.get(name).sizeBytes));
      return reply({ body: image, headers: { 'x-sha256': createHash('sha256').update(image).digest('hex') } });
    });
  },
});
