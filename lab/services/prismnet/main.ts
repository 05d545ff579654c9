import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { HttpError, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import { Dataplane } from './dataplane.ts';
import { prismnetFaults } from './faults.ts';
import { allocate, contains, parseSubnet } from './ipam.ts';
import { AclRuleInput, type NetState } from './model.ts';

/**
 * PrismNet in the reference lab: tenant networks (a bridge with the gateway address in this node's namespace),
 * ports with an address allocated from the subnet, and security groups whose ACL rules are enforced on real
 * traffic to the ports with iptables.
 *   POST /v1/networks {name,cidr}, GET /v1/networks, POST /v1/networks/:net/ports {name,securityGroups?,ip?},
 *   GET|DELETE /v1/ports/:id, PUT /v1/ports/:id/security-groups {securityGroups}, POST /v1/security-groups {name},
 *   GET /v1/security-groups/:id, POST /v1/security-groups/:id/rules, DELETE /v1/security-groups/:id/rules/:rule,
 *   GET /v1/dataplane (the kernel's rules)
 */
function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const res = schema.safeParse(body ?? {});
  if (!res.success)
    throw new HttpError(400, res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return res.data;
}
const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/);

await startHttpService({
  faults: prismnetFaults,
  async routes(app, { env, faults }) {
    const store = new JsonStore<NetState>(join(env.stateDir, 'prismnet.json'), () => ({
      networks: {},
      ports: {},
      securityGroups: {},
    }));
    const dp = new Dataplane(
      () => ({
        denyRejects: faults.on('acl-deny-rejects'),
        ignoresMatch: faults.on('acl-rule-ignores-match'),
        notOnForward: faults.on('acl-not-on-forward'),
      }),
      env.host,
    );
    const get = <K extends keyof NetState>(kind: K, id: string): NetState[K][string] => {
      const item = store.get()[kind][id];
      if (!item) throw new HttpError(404, `no ${kind.replace(/s$/, '')} "${id}"`);
      return item as NetState[K][string];
    };
    // the dataplane is rebuilt from the stored state at start (the kernel's state does not survive power loss)
    for (const n of Object.values(store.get().networks))
      await dp.ensureBridge(n.bridge, n.gateway, parseSubnet(n.cidr).prefix);
    await dp.program(store.get());

    app.post('/v1/networks', async (req) => {
      const body = parse(z.object({ name: Name, cidr: z.string() }), req.body);
      const subnet = parseSubnet(body.cidr);
      const id = randomUUID();
      const bridge = `pn${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
      const network = { id, name: body.name, cidr: subnet.cidr, gateway: subnet.gateway, bridge };
      await dp.ensureBridge(bridge, subnet.gateway, subnet.prefix);
      store.update((s) => {
        s.networks[id] = network;
      });
      return network;
    });
    app.get('/v1/networks', () => ({ networks: Object.values(store.get().networks) }));

    app.post('/v1/networks/:net/ports', async (req) => {
      const network = get('networks', req.params.net ?? '');
      const body = parse(
        z.object({ name: Name, securityGroups: z.array(z.string()).default([]), ip: z.string().optional() }),
        req.body,
      );
      for (const sg of body.securityGroups) get('securityGroups', sg);
      const subnet = parseSubnet(network.cidr);
      const taken = [
        subnet.gateway,
        ...Object.values(store.get().ports)
          .filter((p) => p.network === network.id)
          .map((p) => p.ip),
      ];
      if (body.ip && (!contains(subnet, body.ip) || taken.includes(body.ip)))
        throw new HttpError(409, `address ${body.ip} is not free in ${subnet.cidr}`);
      const port = {
        id: randomUUID(),
        name: body.name,
        network: network.id,
        ip: body.ip ?? allocate(subnet, taken),
        securityGroups: body.securityGroups,
      };
      const next = store.update((s) => {
        s.ports[port.id] = port;
      });
      await dp.program(next);
      return port;
    });
    app.get('/v1/ports/:id', (req) => get('ports', req.params.id ?? ''));
    app.get('/v1/ports', () => ({ ports: Object.values(store.get().ports) }));
    app.delete('/v1/ports/:id', async (req) => {
      const port = get('ports', req.params.id ?? '');
      await dp.program(store.update((s) => void delete s.ports[port.id]));
      return port;
    });
    app.put('/v1/ports/:id/security-groups', async (req) => {
      const port = get('ports', req.params.id ?? '');
      const groups = parse(z.object({ securityGroups: z.array(z.string()) }), req.body).securityGroups;
      for (const sg of groups) get('securityGroups', sg);
      const next = store.update((s) => {
        (s.ports[port.id] as typeof port).securityGroups = groups;
      });
      await dp.program(next);
      return next.ports[port.id];
    });

    app.post('/v1/security-groups', (req) => {
      const sg = { id: randomUUID(), name: parse(z.object({ name: Name }), req.body).name, rules: [] };
      store.update((s) => {
        s.securityGroups[sg.id] = sg;
      });
      return sg;
    });
    app.get('/v1/security-groups/:id', (req) => get('securityGroups', req.params.id ?? ''));
    app.post('/v1/security-groups/:id/rules', async (req) => {
      const sg = get('securityGroups', req.params.id ?? '');
      const rule = { ...parse(AclRuleInput, req.body), id: randomUUID() };
      const next = store.update((s) => void s.securityGroups[sg.id]?.rules.push(rule));
      if (!faults.on('acl-add-noop')) await dp.program(next);
      return rule;
    });
    app.delete('/v1/security-groups/:id/rules/:rule', async (req) => {
      const sg = get('securityGroups', req.params.id ?? '');
      const rule = sg.rules.find((r) => r.id === req.params.rule);
      if (!rule) throw new HttpError(404, `no rule "${req.params.rule}" in security group "${sg.id}"`);
      const next = store.update((s) => {
        const group = s.securityGroups[sg.id];
        if (group) group.rules = group.rules.filter((r) => r.id !== rule.id);
      });
      if (!faults.on('acl-remove-noop')) await dp.program(next);
      return rule;
    });
    app.get('/v1/dataplane', async () => ({
      bridges: Object.values(store.get().networks).map((n) => n.bridge),
      rules: await dp.rules(),
    }));
  },
});
