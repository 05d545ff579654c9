import { z } from 'zod';
import type { NodeHandle } from '../../contracts/node-handle.ts';
import type { CoronafsPort } from '../../contracts/ports/coronafs.ts';
import { type Vm, webappUrl } from '../../contracts/ports/plasmavmc.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import type { Cleanup } from '../publishable/fresh-matrix-cleanup.ts';
import { httpFrom, httpPostFrom, tcpOutcomeFrom } from '../publishable/fresh-matrix-tenant-port.ts';

const vmBootTimeoutMs = 300_000;

/** What the guest's web app answers on GET/POST /cgi-bin/state. */
const AppState = z.object({ counter: z.number(), boots: z.number(), host: z.string(), message: z.string() });
type AppState = z.infer<typeof AppState>;

/** The web app's on-disk header (block 0 of its disk): "UCPSTATE1 <counter> <message bytes> <boots>". */
const headerPattern = /^UCPSTATE1 (\d+) (\d+) (\d+)$/;

/** What a CoronaFS volume holds of the guest's state, read through CoronaFS itself (never through the guest). */
export interface VolumeState {
  counter: number;
  boots: number;
  message: string;
}

async function volumeState(coronafs: CoronafsPort, volume: string): Promise<VolumeState | null> {
  const header = (await coronafs.read(volume, 0, 512)).toString('latin1').split('\n')[0] ?? '';
  const m = headerPattern.exec(header);
  if (!m) return null;
  const [counter, length, boots] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const message = length > 0 ? (await coronafs.read(volume, 512, length)).toString('utf8') : '';
  return { counter, boots, message };
}

const same = (a: { counter: number; message: string }, b: { counter: number; message: string }) =>
  a.counter === b.counter && a.message === b.message;

/**
 * PlasmaVMC shared-storage migration on the worker pair: a VM whose disk is a CoronaFS volume boots on the first
 * worker and writes through its web app; it live-migrates to the second worker while running, where the guest
 * serves the same data without a reboot and its next write lands on the same volume, whose attachment moved; the
 * source worker neither lists the VM nor runs its QEMU, and its old forward accepts no connection. Restarted on the
 * destination, it boots again from the volume with every byte written before and after the migration.
 */
export async function provePlasmavmcMigration(ctx: LaneContext<Cluster>, cleanup: Cleanup, tag: string): Promise<void> {
  const [source, destination] = ctx.target.withRole('worker') as [NodeHandle, NodeHandle];
  const client = ctx.target.withRole('control-plane')[0] as NodeHandle;
  const vmc = ctx.target.ports.plasmavmc;
  const name = `provider-${tag}`;
  const stateUrl = (vm: Vm) => `${webappUrl(vm)}/cgi-bin/state`;
  const readState = async (vm: Vm): Promise<AppState> => {
    const body = await httpFrom(client, stateUrl(vm), 10);
    if (body === null) throw new Error(`no answer from ${stateUrl(vm)} on ${client.name}`);
    return AppState.parse(JSON.parse(body));
  };
  const writeState = async (vm: Vm, message: string): Promise<AppState | null> => {
    const body = await httpPostFrom(client, stateUrl(vm), message);
    return body === null ? null : AppState.parse(JSON.parse(body));
  };

  let vm: Vm | undefined;
  let coronafs: CoronafsPort | undefined;
  let volume = '';

  const written = await ctx.step(
    `plasmavmc: a VM on ${source.name} boots from a CoronaFS volume attached to ${source.name}, and what its guest writes is on that volume`,
    async () => {
      const created = await vmc.at(source.name).createVm({ name, memoryMiB: 128, diskMiB: 16, start: true });
      cleanup.add(`VM ${name}`, async () => {
        for (const worker of [destination, source]) {
          if (await vmc.at(worker.name).vm(created.id)) await vmc.at(worker.name).deleteVm(created.id);
        }
      });
      vm = await vmc.at(source.name).waitForState(created.id, 'running', vmBootTimeoutMs);
      ctx.recordEnvironment({ vm_accelerator_mode: vm.accelerator ?? 'unknown' });
      ctx.check(`the VM runs on ${source.name}`, vm.node === source.name, `node: ${vm.node}`);
      ctx.check('the VM names the CoronaFS volume that is its disk', !!vm.volume, JSON.stringify(vm));
      volume = vm.volume?.name ?? '';
      coronafs = ctx.target.ports.coronafs.at(vm.volume?.holder ?? '');
      const attached = await coronafs.volume(volume);
      ctx.check(
        `the CoronaFS volume ${volume} is attached to ${source.name}`,
        attached.attachedTo === source.name,
        JSON.stringify(attached),
      );
      const first = await ctx.eventually(`${client.name} gets the guest's state at ${stateUrl(vm)}`, () =>
        readState(vm as Vm),
      );
      ctx.check('the answer comes from the VM itself', first.host === name, JSON.stringify(first));
      const message = `provider-vm-reality-proof ${tag} before migration`;
      const acked = await writeState(vm, message);
      ctx.check(
        'the guest acknowledges the write with the next counter',
        acked?.counter === first.counter + 1 && acked.message === message,
        JSON.stringify(acked),
      );
      const onVolume = await volumeState(coronafs, volume);
      ctx.check(
        `the acknowledged write is on the CoronaFS volume ${volume}, read through CoronaFS`,
        !!acked && !!onVolume && same(onVolume, acked),
        `volume holds ${JSON.stringify(onVolume)}, guest acknowledged ${JSON.stringify(acked)}`,
      );
      await ctx.artifact('plasmavmc-before-migration.json', { vm, volume: attached, guest: acked, onVolume });
      return acked as AppState;
    },
  );

  const moved = await ctx.step(
    `plasmavmc: the running VM live-migrates from ${source.name} to ${destination.name} and serves the same data there without a reboot; ${source.name} does not run it any more`,
    async () => {
      const before = vm as Vm;
      const volumes = coronafs as CoronafsPort;
      const sourcePid = before.pid;
      const oldUrl = stateUrl(before);
      const report = await vmc.at(source.name).migrateVm(before.id, destination.name);
      const after = await vmc.at(destination.name).waitForState(before.id, 'running', vmBootTimeoutMs);
      vm = after;
      ctx.check(
        `the VM runs on ${destination.name}, migrated from ${source.name}`,
        after.node === destination.name && after.migratedFrom === source.name,
        JSON.stringify({ node: after.node, migratedFrom: after.migratedFrom }),
      );
      const served = await ctx.eventually(`the guest answers at ${stateUrl(after)} on ${destination.name}`, () =>
        readState(after),
      );
      ctx.check(
        `the guest serves on ${destination.name} the data it wrote on ${source.name}`,
        same(served, written),
        `served ${JSON.stringify(served)}, written ${JSON.stringify(written)}`,
      );
      ctx.check(
        'the guest was not rebooted by the migration (same boot count)',
        served.boots === written.boots,
        `boots ${written.boots} → ${served.boots}`,
      );
      const listed = await vmc.at(source.name).vm(before.id);
      ctx.check(`${source.name}'s plasmavmc does not list the VM any more`, listed === null, JSON.stringify(listed));
      const process = await source.exec(`tr '\\0' ' ' < /proc/${sourcePid}/cmdline 2>/dev/null || true`, {
        timeoutMs: 20_000,
      });
      const sourceCmdline = process.stdout.trim();
      ctx.check(
        `${source.name} does not run the VM's QEMU any more (process ${sourcePid} is gone)`,
        sourcePid !== null && !/qemu/.test(sourceCmdline),
        sourceCmdline ? `process ${sourcePid} still runs: ${sourceCmdline.slice(0, 300)}` : `pid ${sourcePid}`,
      );
      const oldForward = await tcpOutcomeFrom(client, oldUrl);
      ctx.check(
        `nothing accepts connections at the VM's old forward on ${source.name} (${oldUrl})`,
        oldForward.kind === 'refused',
        JSON.stringify(oldForward),
      );
      const attachment = await volumes.volume(volume);
      ctx.check(
        `the CoronaFS volume ${volume} is attached to ${destination.name}, not ${source.name}`,
        attachment.attachedTo === destination.name,
        JSON.stringify(attachment),
      );
      const message = `provider-vm-reality-proof ${tag} after migration`;
      const acked = await writeState(after, message);
      ctx.check(
        `the guest on ${destination.name} acknowledges a write with the next counter`,
        acked?.counter === written.counter + 1 && acked.message === message,
        JSON.stringify(acked),
      );
      const onVolume = await volumeState(volumes, volume);
      ctx.check(
        `a write the guest acknowledges after the migration lands on the same CoronaFS volume ${volume}`,
        !!acked && !!onVolume && same(onVolume, acked),
        `volume holds ${JSON.stringify(onVolume)}, guest acknowledged ${JSON.stringify(acked)}`,
      );
      await ctx.artifact('plasmavmc-migration.json', {
        report,
        vm: after,
        guestAfterMigration: served,
        source: { node: source.name, listsVm: listed !== null, qemuPid: sourcePid, cmdline: sourceCmdline, oldForward },
        volume: attachment,
        writeAfterMigration: { guest: acked, onVolume },
      });
      return acked as AppState;
    },
  );

  await ctx.step(
    `plasmavmc: restarted on ${destination.name}, the VM boots again from the same CoronaFS volume and serves the data written before and after the migration`,
    async () => {
      const before = vm as Vm;
      await vmc.at(destination.name).restartVm(before.id);
      const restarted = await vmc.at(destination.name).waitForState(before.id, 'running', vmBootTimeoutMs);
      vm = restarted;
      ctx.check(
        `the restarted VM runs on ${destination.name}`,
        restarted.node === destination.name,
        `node ${restarted.node}`,
      );
      const served = await ctx.eventually(`the restarted guest answers at ${stateUrl(restarted)}`, () =>
        readState(restarted),
      );
      ctx.check(
        'the restarted guest serves the data written after the migration',
        same(served, moved),
        `served ${JSON.stringify(served)}, written ${JSON.stringify(moved)}`,
      );
      ctx.check(
        'the guest booted once more',
        served.boots === moved.boots + 1,
        `boots ${moved.boots} → ${served.boots}`,
      );
      const attachment = await (coronafs as CoronafsPort).volume(volume);
      ctx.check(
        `the CoronaFS volume ${volume} stays attached to ${destination.name}`,
        attachment.attachedTo === destination.name,
        JSON.stringify(attachment),
      );
      const listed = await vmc.at(source.name).vm(before.id);
      ctx.check(`${source.name} does not list the VM after the restart`, listed === null, JSON.stringify(listed));
      const console = await vmc.at(destination.name).console(before.id);
      await ctx.artifact('plasmavmc-post-restart.json', { vm: restarted, guest: served, volume: attachment });
      await ctx.artifact('plasmavmc-console-tail.txt', console.split('\n').slice(-60).join('\n'));
    },
  );
}
