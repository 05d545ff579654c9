import { isIP } from 'node:net';
import { join } from 'node:path';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import { flashdnsFaults } from './faults.ts';
import { NsdServer } from './nsd-server.ts';
import { newRecord, RecordInput, validZoneName, type Zone } from './zones.ts';

/**
 * FlashDNS in the reference lab: an admin API over a real authoritative server (NSD) answering on the wire at
 * the node's address, port UCP_DNS_PORT (default 53). A change is acknowledged once NSD serves its new serial.
 *   GET /v1/server, POST /v1/zones {name}, GET /v1/zones[/:zone], DELETE /v1/zones/:zone,
 *   POST /v1/zones/:zone/records {name,type,value,ttl}, DELETE /v1/zones/:zone/records/:id
 */
let nsd: NsdServer | undefined;

await startHttpService({
  faults: flashdnsFaults,
  async routes(app, { env, faults }) {
    const dnsPort = Number(process.env.UCP_DNS_PORT ?? 53);
    if (!Number.isInteger(dnsPort) || dnsPort < 1 || dnsPort > 65_535) {
      throw new Error(
        `invalid lab service environment: UCP_DNS_PORT must be a port number, got "${process.env.UCP_DNS_PORT}"`,
      );
    }
    const ownAddress = env.cluster.nodes.find((n) => n.name === env.node)?.address;
    const nsAddress = isIP(env.host) && env.host !== '0.0.0.0' ? env.host : (ownAddress ?? '127.0.0.1');
    const server = new NsdServer({ stateDir: env.stateDir, host: env.host, port: dnsPort, nsAddress });
    nsd = server;
    const store = new JsonStore<Record<string, Zone>>(join(env.stateDir, 'zones.json'), () => ({}));
    const zone = (name: string) => {
      const z = store.get()[validZoneName(name)];
      if (!z) throw new HttpError(404, `no zone "${name}"`);
      return z;
    };
    /** render and reload; the change is live once the wire serves each zone's serial (not under stale-answers) */
    let unpublished = false;
    const publish = async () => {
      unpublished = faults.on('stale-answers');
      if (unpublished) return;
      await server.apply(Object.values(store.get()), faults.on('wrong-authority'));
    };
    const bump = (name: string, mutate: (z: Zone) => void) =>
      store.update((s) => {
        const z = s[name] as Zone;
        mutate(z);
        z.serial += 1;
      })[name] as Zone;

    await server.apply(Object.values(store.get()), faults.on('wrong-authority'));
    let applied = [...faults.active()].sort().join(',');
    let queue: Promise<unknown> = Promise.resolve();
    const serialized = <T>(work: () => Promise<T>): Promise<T> => {
      const next = queue.then(work);
      queue = next.catch(() => undefined);
      return next;
    };
    // a fault switch changes what the wire must serve, and healing stale-answers publishes what was held back
    setInterval(() => {
      const now = [...faults.active()].sort().join(',');
      if (now === applied && !(unpublished && !faults.on('stale-answers'))) return;
      applied = now;
      unpublished = false;
      void serialized(() => publish()).catch((err) => console.error(`fault reload failed: ${err}`));
    }, 200).unref();

    app.get('/v1/server', () => ({ dnsHost: env.host, dnsPort, nsAddress }));
    app.get('/v1/zones', () => ({ zones: Object.values(store.get()).map(({ name, serial }) => ({ name, serial })) }));
    app.get('/v1/zones/:zone', (req) => zone(req.params.zone ?? ''));
    app.post('/v1/zones', (req) =>
      serialized(async () => {
        const name = validZoneName(String((req.body as { name?: unknown } | undefined)?.name ?? ''));
        if (store.get()[name]) throw new HttpError(409, `zone "${name}" exists`);
        store.update((s) => {
          s[name] = { name, serial: 1, records: [] };
        });
        await publish();
        return zone(name);
      }),
    );
    app.delete('/v1/zones/:zone', (req) =>
      serialized(async () => {
        const z = zone(req.params.zone ?? '');
        store.update((s) => {
          delete s[z.name];
        });
        await publish();
        return z;
      }),
    );
    app.post('/v1/zones/:zone/records', (req) =>
      serialized(async () => {
        const parsed = RecordInput.safeParse(req.body ?? {});
        if (!parsed.success)
          throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const record = newRecord(parsed.data);
        const z = bump(zone(req.params.zone ?? '').name, (d) => d.records.push(record));
        await publish();
        return { ...record, serial: z.serial };
      }),
    );
    app.delete('/v1/zones/:zone/records/:id', (req) =>
      serialized(async () => {
        const name = zone(req.params.zone ?? '').name;
        if (!zone(name).records.some((r) => r.id === req.params.id))
          throw new HttpError(404, `no record "${req.params.id}" in "${name}"`);
        const z = bump(name, (d) => {
          d.records = d.records.filter((r) => r.id !== req.params.id);
        });
        await publish();
        return { id: req.params.id, serial: z.serial };
      }),
    );
  },
  async onShutdown() {
    await nsd?.stop();
  },
});
