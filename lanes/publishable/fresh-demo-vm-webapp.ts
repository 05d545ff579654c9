import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { NodeHandle } from '../../contracts/node-handle.ts';
import type { ObjectVersion } from '../../contracts/ports/lightningstor.ts';
import type { Vm } from '../../contracts/ports/plasmavmc.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import { withCleanup } from './fresh-matrix-cleanup.ts';
import { tenantCidr } from './fresh-matrix-prismnet.ts';
import { httpFrom, httpPostFrom, tcpOutcomeFrom } from './fresh-matrix-tenant-port.ts';

/** What the web app answers on GET/POST /cgi-bin/state (`version`: the LightningStor version its POST wrote). */
const AppState = z.object({
  counter: z.number(),
  boots: z.number(),
  host: z.string(),
  version: z.string(),
  message: z.string(),
});
type AppState = z.infer<typeof AppState>;

/** The state object as the VM writes it to LightningStor: "UCPSTATE2 <counter> <boots>", then the message. */
function parseStored(body: string): { counter: number; boots: number; message: string } | null {
  const [head = '', message = ''] = body.split('\n');
  const m = /^UCPSTATE2 (\d+) (\d+)$/.exec(head);
  return m ? { counter: Number(m[1]), boots: Number(m[2]), message } : null;
}

const vmBootTimeoutMs = 300_000;
const appPort = 80;
/** a second listener of the guest's web app, which the security group does not allow */
const closedPort = 8080;

/**
 * The seed's fresh-demo-vm-webapp: the VM-hosting bundle. plasmavmc boots a real QEMU guest attached to its
 * PrismNet port (a tap on the tenant network's bridge, the port's address), a tenant client on the other worker
 * reaches the web app at the port's address, the port's security group governs the VM's own traffic, and the
 * guest's web app writes its state to LightningStor itself over the network: LightningStor shows each version
 * written from the VM's port address, and a new VM with a fresh disk on the same port serves that state back.
 */
export const freshDemoVmWebapp = defineLane<Cluster>({
  name: 'fresh-demo-vm-webapp',
  group: 'publishable',
  tags: ['needs-root', 'vm'],
  summary: 'a VM on its PrismNet port serving a web app whose state it keeps in lightningstor itself',
  requires: [
    'lightningstor.createBucket',
    'lightningstor.getObject',
    'lightningstor.listObjectVersions',
    'plasmavmc.console',
    'plasmavmc.createVm',
    'plasmavmc.deleteVm',
    'plasmavmc.vm',
    'plasmavmc.waitForState',
    'prismnet.addRule',
    'prismnet.createNetwork',
    'prismnet.createPort',
    'prismnet.createSecurityGroup',
    'prismnet.deletePort',
  ],
  async run(ctx) {
    const tag = randomBytes(3).toString('hex');
    const [worker, client] = ctx.target.withRole('worker') as [NodeHandle, NodeHandle];
    const net = ctx.target.ports.prismnet.at(worker.name);
    const vmc = ctx.target.ports.plasmavmc.at(worker.name);
    const store = ctx.target.ports.lightningstor;
    const name = `webapp-${tag}`;
    const bucket = `demo-vm-webapp-${tag}`;
    const key = `vms/${name}/state`;

    await withCleanup(ctx, async (cleanup) => {
      let portIp = '';
      let portId = '';
      let bridge = '';
      let sg = '';
      const url = (port = appPort) => `http://${portIp}:${port}/cgi-bin/state`;
      const readState = async (): Promise<AppState> => {
        const body = await httpFrom(client, url(), 10);
        if (body === null) throw new Error(`no answer from ${url()} on ${client.name}`);
        return AppState.parse(JSON.parse(body));
      };
      const versions = () => store.listObjectVersions(bucket, key);
      const describe = (all: ObjectVersion[]) => all.map((v) => `${v.versionId} by ${v.writer ?? '?'}`).join(', ');

      await ctx.step(`prismnet: a tenant network and a port for the VM on ${worker.name}`, async () => {
        const network = await net.createNetwork(`demo-${tag}`, tenantCidr());
        sg = (await net.createSecurityGroup(`demo-${tag}`)).id;
        const port = await net.createPort(network.id, { name, securityGroups: [sg] });
        cleanup.add(`prismnet port ${port.id}`, () => net.deletePort(port.id));
        ctx.check('the port has an address in the tenant network', port.network === network.id && !!port.ip);
        portIp = port.ip;
        portId = port.id;
        bridge = network.bridge;
        await store.createBucket(bucket, { lane: 'fresh-demo-vm-webapp', vm: name });
        await ctx.artifact('prismnet-port.json', { network, port, securityGroup: sg, stateBucket: bucket });
      });

      const boot = async (): Promise<Vm> => {
        const created = await vmc.createVm({
          name,
          memoryMiB: 128,
          diskMiB: 16,
          start: true,
          port: portId,
          stateBucket: bucket,
        });
        cleanup.add(`VM ${name} (${created.id})`, () => vmc.deleteVm(created.id).catch(() => undefined));
        const shown = created.nic ? await worker.exec(`ip -j link show dev ${created.nic.tap}`) : null;
        const link =
          shown?.exitCode === 0
            ? z
                .array(z.object({ ifname: z.string(), master: z.string().optional() }))
                .parse(JSON.parse(shown.stdout))[0]
            : undefined;
        ctx.check(
          `the VM's tap is a port of the tenant network's bridge ${bridge} on ${worker.name}`,
          !!created.nic && link?.master === bridge,
          `nic ${JSON.stringify(created.nic)}, link ${JSON.stringify(link ?? shown?.stderr)}`,
        );
        ctx.check(
          "the VM's NIC carries its port's address, and plasmavmc gives it no host port forward",
          created.nic?.ip === portIp && created.nic.port === portId && created.forward === null,
          JSON.stringify({ nic: created.nic, forward: created.forward }),
        );
        let running: Vm;
        try {
          running = await vmc.waitForState(created.id, 'running', vmBootTimeoutMs);
        } catch (err) {
          const now = await vmc.vm(created.id);
          ctx.check(
            'the VM comes up on its port (its web app loads its state from lightningstor at boot)',
            false,
            `${(err as Error).message}; VM ${now?.state}: ${now?.detail}`,
          );
          throw err;
        }
        ctx.recordEnvironment({ vm_accelerator_mode: running.accelerator ?? 'unknown' });
        ctx.log(`VM ${name} running on ${running.node} under ${running.accelerator} after ${running.bootMs} ms`);
        ctx.check(`the VM runs on ${worker.name}`, running.node === worker.name, `node: ${running.node}`);
        ctx.check(
          'the VM runs under real QEMU acceleration (kvm or tcg)',
          running.accelerator === 'kvm' || running.accelerator === 'tcg',
          `accelerator: ${running.accelerator}`,
        );
        return running;
      };

      let vm = await ctx.step(`plasmavmc: the VM boots on ${worker.name} attached to its port`, boot);

      const first = await ctx.step(`the web app answers ${client.name} at its port address`, async () => {
        const state = await ctx.eventually(`${client.name} gets the web app's state at ${url()}`, readState, {
          timeoutMs: 60_000,
        });
        ctx.check('the answer comes from the VM itself', state.host === name, JSON.stringify(state));
        const fdb = await worker.succeed(`bridge fdb show dev ${vm.nic?.tap}`);
        ctx.check(
          `${worker.name}'s bridge learned the VM's MAC ${vm.nic?.mac} on the VM's tap`,
          !!vm.nic && fdb.toLowerCase().includes(vm.nic.mac.toLowerCase()),
          fdb,
        );
        const other = await tcpOutcomeFrom(client, url(closedPort), 10);
        ctx.check(
          `before any rule, the web app also answers on port ${closedPort} (the listener the rule will forbid)`,
          other.kind === 'answered',
          JSON.stringify(other),
        );
        return state;
      });

      await ctx.step("prismnet: the port's security group governs the VM's own traffic", async () => {
        await net.addRule(sg, {
          action: 'allow',
          protocol: 'tcp',
          portMin: appPort,
          remoteCidr: `${client.address}/32`,
        });
        await net.addRule(sg, {
          action: 'deny',
          protocol: 'tcp',
          portMin: 1,
          portMax: 65535,
          remoteCidr: `${client.address}/32`,
        });
        const allowed = await tcpOutcomeFrom(client, url(), 10);
        ctx.check(
          `the VM still answers ${client.name} on the allowed port ${appPort}`,
          allowed.kind === 'answered',
          JSON.stringify(allowed),
        );
        const denied = await tcpOutcomeFrom(client, url(closedPort), 6);
        ctx.check(
          `a connection from ${client.name} to the VM's port ${closedPort}, which the rules do not allow, gets no answer (dropped, not refused)`,
          denied.kind === 'no-answer',
          JSON.stringify(denied),
        );
      });

      const message = `hello from ${tag}`;
      const written = await ctx.step(
        'state written through the app is persisted to lightningstor by the VM',
        async () => {
          const answer = await httpPostFrom(client, url(), message);
          const after = answer === null ? null : AppState.safeParse(JSON.parse(answer)).data;
          ctx.check(
            'the app acknowledges the write with the next counter and the lightningstor version it wrote',
            after?.counter === first.counter + 1 && after.message === message && !!after.version,
            `answer: ${answer}`,
          );
          const versionId = after?.version ?? '';
          const all = await versions();
          const version = all.find((v) => v.versionId === versionId);
          ctx.check(
            `lightningstor holds version ${versionId} of ${bucket}/${key}, written from the VM's port address ${portIp}`,
            version?.writer === portIp,
            `versions: ${describe(all)}`,
          );
          const stored = await store.getObject(bucket, key, versionId);
          const content = stored ? parseStored(stored.body.toString()) : null;
          ctx.check(
            'the version holds the state the app acknowledged',
            content?.counter === after?.counter && content?.message === message,
            stored ? stored.body.toString() : 'object version not found',
          );
          ctx.check(
            `every version of the state object was written from the VM's port address (none by anyone else)`,
            all.length > 0 && all.every((v) => v.writer === portIp),
            describe(all),
          );
          return { versionId, state: content ?? { counter: -1, boots: -1, message: '' }, known: all.length };
        },
      );

      await ctx.step(
        'recreated on its port with a fresh disk, the VM serves the state it reads back from lightningstor',
        async () => {
          const old = vm;
          await vmc.deleteVm(old.id);
          ctx.check(`plasmavmc no longer has VM ${old.id}`, (await vmc.vm(old.id)) === null);
          vm = await boot();
          ctx.check('the new VM is a new machine with its own disk', vm.id !== old.id && vm.diskPath !== old.diskPath);
          const served = await ctx.eventually(`the new VM answers at ${url()}`, readState, { timeoutMs: 60_000 });
          ctx.check(
            'the new VM serves the state the first VM wrote to lightningstor',
            served.counter === written.state.counter && served.message === message,
            `served ${JSON.stringify(served)}, written ${JSON.stringify(written.state)}`,
          );
          ctx.check(
            'the new VM counted its boot on top of the stored state',
            served.boots === written.state.boots + 1,
            `boots ${written.state.boots} → ${served.boots}`,
          );
          const all = await versions();
          const fresh = all.slice(written.known);
          ctx.check(
            `the new VM wrote its boot to lightningstor itself: a new version from ${portIp}`,
            fresh.length > 0 && fresh.every((v) => v.writer === portIp),
            describe(all),
          );
          ctx.check(
            `every version of the state object was written from the VM's port address (none by anyone else)`,
            all.every((v) => v.writer === portIp) && all.some((v) => v.versionId === written.versionId),
            describe(all),
          );
        },
      );

      await ctx.step('artifacts: VM status, console tail and object versions', async () => {
        const status = await vmc.vm(vm.id);
        await ctx.artifact('vm-status.json', status ?? { missing: vm.id });
        const console = await vmc.console(vm.id);
        await ctx.artifact('vm-console-tail.txt', console.split('\n').slice(-80).join('\n'));
        ctx.check(
          'the console shows the web app loaded its state from lightningstor and is ready',
          console.includes(`webapp.state-loaded.${name} counter=${written.state.counter}`) &&
            console.includes(`webapp.ready.${name}`),
        );
        await ctx.artifact('lightningstor-object-versions.json', await versions());
      });
    });
  },
});
