import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismnetPort, TenantPort } from '../../contracts/ports/prismnet.ts';
import { allowDestinations } from '../../helpers/destination-guard.ts';
import { eventually } from '../../helpers/retry.ts';
import { createPrismnetPort } from '../../lab/target/bindings/prismnet.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

const run = promisify(execFile);
const id = randomInt(0, 0xffff).toString(16).padStart(4, '0');
const x = randomInt(0, 256);
const nsNode = `ucp-pn-${id}-node`;
const nsClient = `ucp-pn-${id}-cli`;
const sh = (...args: string[]) => run(args[0] as string, args.slice(1), { timeout: 15_000 });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);

/** a lab node namespace (API reachable from the host) and a client namespace routed to the tenant subnet */
async function createNamespaces(): Promise<void> {
  await sh('ip', 'netns', 'add', nsNode);
  await sh('ip', 'netns', 'add', nsClient);
  await sh('ip', 'link', 'add', `pnh${id}`, 'type', 'veth', 'peer', 'name', `pnn${id}`, 'netns', nsNode);
  await sh('ip', 'addr', 'add', `10.250.${x}.1/30`, 'dev', `pnh${id}`);
  await sh('ip', 'link', 'set', `pnh${id}`, 'up');
  await inNs(nsNode, 'ip', 'addr', 'add', `10.250.${x}.2/30`, 'dev', `pnn${id}`);
  await inNs(nsNode, 'ip', 'link', 'set', `pnn${id}`, 'up');
  await inNs(nsNode, 'ip', 'link', 'set', 'lo', 'up');
  await inNs(nsNode, 'ip', 'link', 'add', `pnc${id}`, 'type', 'veth', 'peer', 'name', `pnd${id}`, 'netns', nsClient);
  await inNs(nsNode, 'ip', 'addr', 'add', `10.251.${x}.1/30`, 'dev', `pnc${id}`);
  await inNs(nsNode, 'ip', 'link', 'set', `pnc${id}`, 'up');
  await inNs(nsClient, 'ip', 'addr', 'add', `10.251.${x}.2/30`, 'dev', `pnd${id}`);
  await inNs(nsClient, 'ip', 'link', 'set', `pnd${id}`, 'up');
  await inNs(nsClient, 'ip', 'route', 'add', `10.252.${x}.0/24`, 'via', `10.251.${x}.1`);
}

/** one TCP connection from the client namespace to the port's address: the greeting, or null when blocked */
async function connect(ip: string): Promise<string | null> {
  try {
    const { stdout } = await inNs(nsClient, 'socat', '-T', '2', '-', `TCP:${ip}:8080,connect-timeout=1`);
    return stdout.trim();
  } catch {
    return null;
  }
}

describe('prismnet lab service (iptables in a node namespace)', () => {
  let svc: LabServiceProcess;
  let net: PrismnetPort;
  let vm: TenantPort;
  let sg: string;
  let listener: ChildProcess | undefined;

  beforeAll(async () => {
    await createNamespaces();
    // the node namespace this test created, and nothing else
    allowDestinations((address) => address === `10.250.${x}.2`);
    svc = await LabServiceProcess.start({ service: 'prismnet', netns: nsNode, host: `10.250.${x}.2` });
    net = createPrismnetPort(svc.binding());
    const network = await net.createNetwork('tenant-a', `10.252.${x}.0/24`);
    sg = (await net.createSecurityGroup('web')).id;
    vm = await net.createPort(network.id, { name: 'vm1', securityGroups: [sg] });
    // the port's address lives on the tenant bridge, where a VM's interface would hold it
    await inNs(nsNode, 'ip', 'addr', 'add', `${vm.ip}/32`, 'dev', network.bridge);
    listener = spawn(
      'ip',
      ['netns', 'exec', nsNode, 'socat', `TCP-LISTEN:8080,bind=${vm.ip},reuseaddr,fork`, 'SYSTEM:echo hello-from-vm1'],
      {
        stdio: 'ignore',
      },
    );
    await eventually(
      async () => {
        if ((await connect(vm.ip)) !== 'hello-from-vm1') throw new Error(`no greeting from ${vm.ip}:8080`);
      },
      { timeoutMs: 10_000, what: 'socat listener on the port address' },
    );
  }, 60_000);
  afterAll(async () => {
    listener?.kill('SIGKILL');
    await svc?.dispose();
    await sh('ip', 'netns', 'del', nsClient).catch(() => undefined);
    await sh('ip', 'netns', 'del', nsNode).catch(() => undefined);
  });

  it('allocates port addresses from the subnet after the gateway', async () => {
    expect(vm.ip).toBe(`10.252.${x}.2`);
    expect((await net.networks())[0]).toMatchObject({ cidr: `10.252.${x}.0/24`, gateway: `10.252.${x}.1` });
  });

  it('an added ACL rule blocks a real TCP connection and removing it lets traffic through', async () => {
    const rule = await net.addRule(sg, { action: 'deny', protocol: 'tcp', portMin: 8080 });
    expect(await connect(vm.ip)).toBeNull();
    expect((await net.dataplane()).rules.join('\n')).toContain(`rule ${rule.id}`);
    await net.removeRule(sg, rule.id);
    expect(await connect(vm.ip)).toBe('hello-from-vm1');
  });

  it('reprograms the dataplane from its state after a restart', async () => {
    const rule = await net.addRule(sg, {
      protocol: 'tcp',
      portMin: 8000,
      portMax: 8100,
      remoteCidr: `10.251.${x}.0/30`,
    });
    await inNs(nsNode, 'iptables', '-w', '-F', 'PRISMNET');
    expect(await connect(vm.ip)).toBe('hello-from-vm1');
    await svc.restart();
    expect(await connect(vm.ip)).toBeNull();
    await net.removeRule(sg, rule.id);
  });

  it('fault acl-add-noop acknowledges a rule that never blocks traffic', async () => {
    await svc.setFaults({ 'acl-add-noop': true });
    const rule = await net.addRule(sg, { protocol: 'tcp', portMin: 8080 });
    expect((await net.securityGroup(sg)).rules.map((r) => r.id)).toContain(rule.id);
    expect(await connect(vm.ip)).toBe('hello-from-vm1');
    await svc.setFaults({});
    await net.removeRule(sg, rule.id);
  });

  it('fault acl-remove-noop leaves a removed rule blocking traffic', async () => {
    const rule = await net.addRule(sg, { protocol: 'any' });
    await svc.setFaults({ 'acl-remove-noop': true });
    await net.removeRule(sg, rule.id);
    expect((await net.securityGroup(sg)).rules).toEqual([]);
    expect(await connect(vm.ip)).toBeNull();
    await svc.setFaults({});
    await net.setPortSecurityGroups(vm.id, [sg]);
    expect(await connect(vm.ip)).toBe('hello-from-vm1');
  });

  it('routes for its tenant networks and answers ARP on its uplink for exactly the ports it carries', async () => {
    expect((await inNs(nsNode, 'cat', '/proc/sys/net/ipv4/ip_forward')).stdout.trim()).toBe('1');
    const proxied = async () =>
      (
        JSON.parse((await inNs(nsNode, 'ip', '-j', 'neigh', 'show', 'proxy', 'dev', `pnn${id}`)).stdout) as Array<{
          dst: string;
        }>
      ).map((n) => n.dst);
    expect(await proxied()).toEqual([vm.ip]);
    const network = (await net.networks())[0] as { id: string };
    const extra = await net.createPort(network.id, { name: 'vm2' });
    expect((await proxied()).sort()).toEqual([vm.ip, extra.ip].sort());
    await net.deletePort(extra.id);
    expect(await proxied()).toEqual([vm.ip]);
  });

  it('fault acl-not-on-forward unhooks the ACL chain from FORWARD (INPUT keeps it); off, it is back', async () => {
    const hooked = async (hook: string) =>
      inNs(nsNode, 'iptables', '-w', '-C', hook, '-j', 'PRISMNET').then(
        () => true,
        () => false,
      );
    expect([await hooked('INPUT'), await hooked('FORWARD')]).toEqual([true, true]);
    await svc.setFaults({ 'acl-not-on-forward': true });
    await net.setPortSecurityGroups(vm.id, [sg]);
    expect([await hooked('INPUT'), await hooked('FORWARD')]).toEqual([true, false]);
    await svc.setFaults({});
    await net.setPortSecurityGroups(vm.id, [sg]);
    expect([await hooked('INPUT'), await hooked('FORWARD')]).toEqual([true, true]);
  });
});
