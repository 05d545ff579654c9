import { z } from 'zod';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { nightlightFaults } from './faults.ts';
import { MetricsWal } from './metrics-wal.ts';

/**
 * NightLight in the reference lab: a single-node metrics store with a WAL and snapshot compaction.
 *   POST /v1/samples {samples:[{series,t,v}]}, GET /v1/query?series=&from=&to=, GET /v1/series,
 *   POST /v1/snapshot, GET /v1/status (recovery counts, WAL size)
 */
const Samples = z.object({
  samples: z.array(z.object({ series: z.string().min(1), t: z.number().int(), v: z.number() })).min(1),
});

let wal: MetricsWal | undefined;

await startHttpService({
  faults: nightlightFaults,
  routes(app, { env, faults }) {
    const store = new MetricsWal(env.stateDir, !faults.on('wal-not-replayed'));
    wal = store;
    app.post('/v1/samples', (req) => {
      const parsed = Samples.safeParse(req.body);
      if (!parsed.success)
        throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      store.append(parsed.data.samples, !faults.on('wal-not-fsynced'));
      return { accepted: parsed.data.samples.length };
    });
    app.get('/v1/query', (req) => {
      const series = req.query.get('series');
      if (!series) throw new HttpError(400, 'query parameter "series" is required');
      const from = req.query.get('from');
      const to = req.query.get('to');
      return { series, samples: store.query(series, from ? Number(from) : undefined, to ? Number(to) : undefined) };
    });
    app.get('/v1/series', () => ({ series: [...store.series.keys()].sort() }));
    app.post('/v1/snapshot', () => store.snapshot());
    app.get('/v1/status', () => ({ recovered: store.recovered, walBytes: store.walBytes() }));
  },
  onShutdown() {
    wal?.flush();
  },
});
