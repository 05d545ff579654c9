import { randomInt } from 'node:crypto';
import type { NodeHandle } from '../../contracts/node-handle.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { startHttpBackend } from './fresh-matrix-backends.ts';
import type { Cleanup } from './fresh-matrix-cleanup.ts';
import { holdPortAddress, httpFrom, routeToPort, tcpOutcomeFrom } from './fresh-matrix-tenant-port.ts';

/** the PrismNet operations provePrismnetAcl calls, for the requires of every lane that runs it */
export const prismnetAclOperations = [
  'prismnet.addRule',
  'prismnet.createNetwork',
  'prismnet.createPort',
  'prismnet.createSecurityGroup',
  'prismnet.dataplane',
  'prismnet.deletePort',
  'prismnet.removeRule',
  'prismnet.securityGroup',
] as const;

/** A tenant /24 unlikely to be in use by another run: 10.200-239.x.0/24. */
export function tenantCidr(): string {
  return `10.${randomInt(200, 240)}.${randomInt(0, 256)}.0/24`;
}

/**
 * PrismNet security-group ACL lifecycle on real traffic: a tenant port on one worker serves HTTP to a client on
 * the other worker; an added deny rule (one port, one source) drops that client's TCP connection silently while a
 * port and a source it does not name still pass; removing the rule lets it flow again. Rules apply in rule order: an
 * allow rule wins over a later deny rule that names the same traffic, and the deny still drops what the allow rule
 * does not name.
 */
export async function provePrismnetAcl(ctx: LaneContext<Cluster>, cleanup: Cleanup, tag: string): Promise<void> {
  const [worker, client] = ctx.target.withRole('worker') as [NodeHandle, NodeHandle];
  const net = ctx.target.ports.prismnet.at(worker.name);
  const servicePort = 8080;
  const otherPort = 8081;
  let url = '';
  let otherUrl = '';
  let otherBody = '';
  let sg = '';
  let body = '';

  await ctx.step(`prismnet: a tenant port on ${worker.name} serves real traffic from ${client.name}`, async () => {
    const network = await net.createNetwork(`matrix-${tag}`, tenantCidr());
    sg = (await net.createSecurityGroup(`matrix-${tag}`)).id;
    const port = await net.createPort(network.id, { name: `matrix-${tag}`, securityGroups: [sg] });
    cleanup.add(`prismnet port ${port.id}`, () => net.deletePort(port.id));
    const address = await holdPortAddress(worker, network, port);
    cleanup.add(`address ${port.ip} on ${worker.name}`, () => address.release());
    const backend = await startHttpBackend(worker, `matrix-${tag}-port`, servicePort, port.ip);
    cleanup.add(`backend on ${port.ip}`, () => backend.stop());
    const other = await startHttpBackend(worker, `matrix-${tag}-port-${otherPort}`, otherPort, port.ip);
    cleanup.add(`backend on ${port.ip}:${otherPort}`, () => other.stop());
    otherUrl = `http://${port.ip}:${otherPort}/`;
    otherBody = other.name;
    cleanup.add(`route to ${port.ip} on ${client.name}`, await routeToPort(client, worker, port.ip));
    url = `http://${port.ip}:${servicePort}/`;
    body = backend.name;
    await ctx.eventually(`${client.name} reaches ${url} before any ACL rule`, async () => {
      const got = await httpFrom(client, url);
      if (got !== body) throw new Error(`answer: ${JSON.stringify(got)}`);
    });
    await ctx.artifact('prismnet-port.json', { network, port, securityGroup: await net.securityGroup(sg) });
  });

  let ruleId = '';
  await ctx.step(
    "prismnet: an added ACL deny rule drops the client's TCP connection; what the rule does not name still passes",
    async () => {
      const rule = await net.addRule(sg, {
        action: 'deny',
        protocol: 'tcp',
        portMin: servicePort,
        remoteCidr: `${client.address}/32`,
      });
      ruleId = rule.id;
      cleanup.add(`ACL rule ${rule.id}`, () => net.removeRule(sg, rule.id).catch(() => undefined));
      const listed = (await net.securityGroup(sg)).rules.some((r) => r.id === rule.id);
      ctx.check('the security group lists the added rule', listed);
      const blocked = await tcpOutcomeFrom(client, url);
      ctx.check(
        `a TCP connection from ${client.name} to port ${servicePort} gets no answer after the deny rule is added (dropped, not refused)`,
        blocked.kind === 'no-answer',
        JSON.stringify(blocked),
      );
      // the same backend still serves: from a source the rule does not name, in the same step
      const local = await tcpOutcomeFrom(worker, url);
      ctx.check(
        `the backend on port ${servicePort} still answers a source the rule does not name (${worker.name} itself)`,
        local.kind === 'answered' && local.body === body,
        JSON.stringify(local),
      );
      const otherPortOutcome = await tcpOutcomeFrom(client, otherUrl);
      ctx.check(
        `a TCP connection from ${client.name} to port ${otherPort}, which the rule does not name, still passes`,
        otherPortOutcome.kind === 'answered' && otherPortOutcome.body === otherBody,
        JSON.stringify(otherPortOutcome),
      );
      await ctx.artifact('prismnet-dataplane-with-rule.json', await net.dataplane());
    },
  );

  await ctx.step('prismnet: removing the ACL rule lets the same traffic flow again', async () => {
    await net.removeRule(sg, ruleId);
    const listed = (await net.securityGroup(sg)).rules.some((r) => r.id === ruleId);
    ctx.check('the security group no longer lists the removed rule', !listed);
    await ctx.eventually(
      `a TCP connection from ${client.name} to the port flows after the ACL rule is removed`,
      async () => {
        const got = await httpFrom(client, url);
        if (got !== body) throw new Error(`answer: ${JSON.stringify(got)}`);
      },
      { timeoutMs: 15_000 },
    );
    await ctx.artifact('prismnet-dataplane-after-removal.json', await net.dataplane());
  });

  await ctx.step(
    `prismnet: security-group rules apply in rule order: an allow rule for port ${otherPort} wins over a later deny of ports ${servicePort}-${otherPort}`,
    async () => {
      const source = `${client.address}/32`;
      const allow = await net.addRule(sg, { action: 'allow', protocol: 'tcp', portMin: otherPort, remoteCidr: source });
      cleanup.add(`ACL rule ${allow.id}`, () => net.removeRule(sg, allow.id).catch(() => undefined));
      const deny = await net.addRule(sg, {
        action: 'deny',
        protocol: 'tcp',
        portMin: servicePort,
        portMax: otherPort,
        remoteCidr: source,
      });
      cleanup.add(`ACL rule ${deny.id}`, () => net.removeRule(sg, deny.id).catch(() => undefined));
      const order = (await net.securityGroup(sg)).rules.map((r) => r.id);
      ctx.check(
        'the security group lists the allow rule before the deny rule, in the order they were added',
        order.join(',') === [allow.id, deny.id].join(','),
        `rules ${order.join(', ')}; allow ${allow.id}, deny ${deny.id}`,
      );
      const allowed = await tcpOutcomeFrom(client, otherUrl);
      ctx.check(
        `a TCP connection from ${client.name} to port ${otherPort} is answered: the allow rule, first to match, wins`,
        allowed.kind === 'answered' && allowed.body === otherBody,
        JSON.stringify(allowed),
      );
      const denied = await tcpOutcomeFrom(client, url);
      ctx.check(
        `a TCP connection from ${client.name} to port ${servicePort}, which only the later deny rule names, gets no answer`,
        denied.kind === 'no-answer',
        JSON.stringify(denied),
      );
      await ctx.artifact('prismnet-dataplane-rule-order.json', await net.dataplane());
    },
  );
}
