import { randomBytes } from 'node:crypto';
import type { NodeHandle } from '../../contracts/node-handle.ts';
import type { Vm } from '../../contracts/ports/plasmavmc.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import { withCleanup } from './fresh-matrix-cleanup.ts';
import { tenantCidr } from './fresh-matrix-prismnet.ts';
import {
  attachPortToForward,
  holdPortAddress,
  httpFrom,
  httpPostFrom,
  routeToPort,
} from './fresh-matrix-tenant-port.ts';

/** What the web app answers on GET/POST /cgi-bin/state. */
interface AppState {
  counter: number;
  boots: number;
  host: string;
  message: string;
}

const vmBootTimeoutMs = 300_000;

/**
 * The seed's fresh-demo-vm-webapp: the VM-hosting bundle — plasmavmc and prismnet host a real QEMU guest serving a
 * web app reachable through its PrismNet port, its state written through the app, persisted to lightningstor as
 * object versions, and served unchanged after the VM restarts.
 */
export const freshDemoVmWebapp = defineLane<Cluster>({
  name: 'fresh-demo-vm-webapp',
  group: 'publishable',
  tags: ['needs-root', 'vm'],
  summary: 'a VM-hosted web app on plasmavmc + prismnet with its state persisted through lightningstor',
  requires: [
    'lightningstor.createBucket',
    'lightningstor.getObject',
    'lightningstor.listObjectVersions',
    'lightningstor.putObject',
    'plasmavmc.console',
    'plasmavmc.createVm',
    'plasmavmc.deleteVm',
    'plasmavmc.restartVm',
    'plasmavmc.vm',
    'plasmavmc.waitForState',
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
    const key = `vms/${name}/state.json`;

    await withCleanup(ctx, async (cleanup) => {
      let portIp = '';
      const url = () => `http://${portIp}/cgi-bin/state`;
      const readState = async (): Promise<AppState> => {
        const body = await httpFrom(client, url(), 10);
        if (body === null) throw new Error(`no answer from ${url()} on ${client.name}`);
        return JSON.parse(body) as AppState;
      };
      let relay: { stop(): Promise<void> } | undefined;
      let relayedTo = '';
      const attach = async (vm: Vm) => {
        if (!vm.forward) throw new Error(`VM ${vm.name} has no forward (state ${vm.state})`);
        const target = `${vm.forward.host}:${vm.forward.port}`;
        if (target === relayedTo) return;
        await relay?.stop();
        relay = await attachPortToForward(worker, portIp, vm.forward.guestPort, vm.forward);
        relayedTo = target;
      };
      cleanup.add('the port relay', async () => relay?.stop());

      await ctx.step(`prismnet: a tenant network and a port for the VM on ${worker.name}`, async () => {
        const network = await net.createNetwork(`demo-${tag}`, tenantCidr());
        const sg = await net.createSecurityGroup(`demo-${tag}`);
        const port = await net.createPort(network.id, { name, securityGroups: [sg.id] });
        cleanup.add(`prismnet port ${port.id}`, () => net.deletePort(port.id));
        ctx.check('the port has an address in the tenant network', port.network === network.id && !!port.ip);
        const address = await holdPortAddress(worker, network, port);
        cleanup.add(`address ${port.ip} on ${worker.name}`, () => address.release());
        cleanup.add(`route to ${port.ip} on ${client.name}`, await routeToPort(client, worker, port.ip));
        portIp = port.ip;
        await ctx.artifact('prismnet-port.json', { network, port, securityGroup: sg });
      });

      let vm = await ctx.step(`plasmavmc: the VM boots on ${worker.name} attached to its port`, async () => {
        const created = await vmc.createVm({ name, memoryMiB: 128, diskMiB: 16, start: true });
        cleanup.add(`VM ${name}`, () => vmc.deleteVm(created.id));
        const running = await vmc.waitForState(created.id, 'running', vmBootTimeoutMs);
        ctx.recordEnvironment({ vm_accelerator_mode: running.accelerator ?? 'unknown' });
        ctx.log(`VM ${name} running on ${running.node} under ${running.accelerator} after ${running.bootMs} ms`);
        ctx.check(`the VM runs on ${worker.name}`, running.node === worker.name, `node: ${running.node}`);
        ctx.check(
          'the VM runs under real QEMU acceleration (kvm or tcg)',
          running.accelerator === 'kvm' || running.accelerator === 'tcg',
          `accelerator: ${running.accelerator}`,
        );
        await attach(running);
        return running;
      });

      const written = await ctx.step('the web app answers over HTTP through its PrismNet port', async () => {
        const first = await ctx.eventually(`${client.name} gets the web app's state at ${url()}`, readState, {
          timeoutMs: 60_000,
        });
        ctx.check('the answer comes from the VM itself', first.host === name, JSON.stringify(first));
        return first;
      });

      const message = `hello from ${tag}`;
      const persisted = await ctx.step('state written through the app is persisted to lightningstor', async () => {
        const answer = await httpPostFrom(client, url(), message);
        const after = answer === null ? null : (JSON.parse(answer) as AppState);
        ctx.check(
          'the app acknowledges the write with the next counter',
          after?.counter === written.counter + 1 && after.message === message,
          `answer: ${answer}`,
        );
        const state = await readState();
        ctx.check('the app reads back the written state', state.message === message, JSON.stringify(state));
        await store.createBucket(bucket, { lane: 'fresh-demo-vm-webapp', vm: name });
        const put = await store.putObject(bucket, key, JSON.stringify(state));
        const back = await store.getObject(bucket, key, put.versionId);
        ctx.check(
          'the persisted object version holds the app state',
          back?.body.toString() === JSON.stringify(state),
          back ? back.body.toString() : 'object version not found',
        );
        ctx.log(`state persisted as ${bucket}/${key} version ${put.versionId}`);
        return { state, versionId: put.versionId };
      });

      await ctx.step('restarted, the VM serves the state persisted in lightningstor', async () => {
        await vmc.restartVm(vm.id);
        vm = await vmc.waitForState(vm.id, 'running', vmBootTimeoutMs);
        await attach(vm);
        const saved = await store.getObject(bucket, key, persisted.versionId);
        ctx.check(
          `object version ${persisted.versionId} is still readable`,
          saved !== null,
          'the version read returned nothing',
        );
        const expected = JSON.parse(saved?.body.toString() ?? '{}') as AppState;
        const served = await ctx.eventually(`the restarted VM answers at ${url()}`, readState, { timeoutMs: 60_000 });
        ctx.check(
          'the restarted VM serves the state persisted in lightningstor',
          served.counter === expected.counter && served.message === expected.message,
          `served ${JSON.stringify(served)}, persisted ${JSON.stringify(expected)}`,
        );
        ctx.check(
          'the VM booted again',
          served.boots === expected.boots + 1,
          `boots ${expected.boots} → ${served.boots}`,
        );
        const put = await store.putObject(bucket, key, JSON.stringify(served));
        const versions = (await store.listObjectVersions(bucket, key)).map((v) => v.versionId);
        ctx.check(
          'both persisted state versions are listed',
          versions.includes(persisted.versionId) && versions.includes(put.versionId),
          `listed: ${versions.join(', ')}`,
        );
      });

      await ctx.step('artifacts: VM status, console tail and object versions', async () => {
        const status = await vmc.vm(vm.id);
        await ctx.artifact('vm-status.json', status ?? { missing: vm.id });
        const console = await vmc.console(vm.id);
        await ctx.artifact('vm-console-tail.txt', console.split('\n').slice(-80).join('\n'));
        ctx.check('the console shows the web app ready', console.includes(`webapp.ready.${name}`));
        await ctx.artifact('lightningstor-object-versions.json', await store.listObjectVersions(bucket, key));
      });
    });
  },
});
