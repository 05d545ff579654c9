import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rm, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeGuestImage } from '../../../helpers/guest-image/probe-image.ts';
import { type AcceleratorProbe, probeAccelerator } from '../../../helpers/qemu-accelerator.ts';
import { sleep } from '../../../helpers/retry.ts';
import { HttpError, reply, startHttpService } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';
import type { ServiceEnvironment } from '../common/service-env.ts';
import { plasmavmcFaults } from './faults.ts';
import { assertSharedDisk, migrateOut, migrationUri } from './migration.ts';
import { lightningstorEndpoint, removeTap, resolveNic } from './nic.ts';
import { type PlasmavmcState, parseCreateVm, type VmRecord } from './vm-record.ts';
import { VmRuntime } from './vm-runtime.ts';
import { createVolumeDisk, releaseVolume } from './volume.ts';
import { registration } from './worker.ts';

/**
 * PlasmaVMC in the reference lab: a worker's VM service on real QEMU (KVM when it works, TCG otherwise).
 *   GET    /v1/worker                       the worker's registration: node, hypervisors, capacity, accelerator
 *   GET    /v1/vms, POST /v1/vms {name, memoryMiB?, diskMiB?, start?, port?, stateBucket?}   list / create (and start)
 *          port: a PrismNet port of this worker: the VM's NIC is a tap on the port's tenant bridge with the port's
 *          MAC and address (else user-mode NAT with a forward on this worker's address); stateBucket: the web app
 *          keeps its state in that LightningStor bucket, written and read by the VM over its port
 *   GET    /v1/vms/:id                      status (id or name)
 *   POST   /v1/vms/:id/start | stop | restart
 *   DELETE /v1/vms/:id
 *   GET    /v1/vms/:id/console              the VM's serial console (text)
 *   POST   /v1/vms/:id/migrate {destination}   live migration to another worker over shared storage
 *   POST   /v1/migrations/incoming {vm, source}, /v1/migrations/:id/commit | abort   (worker to worker)
 * A VM's disk is a CoronaFS volume of the worker's own CoronaFS, attached to the worker running the VM (handed to
 * the destination by a migration); on a node without CoronaFS it is a file on shared storage
 * (UCP_PLASMAVMC_SHARED_DIR, default <lab>/shared/plasmavmc). The migration stream goes over TCP between the
 * workers' lab addresses. QEMU dies with
 * this process (parent-death signal), and VMs that should run are booted again when it starts.
 */
process.env.ULTRACLOUD_QEMU ??= fileURLToPath(new URL('qemu-with-parent.sh', import.meta.url));

function sharedDir(env: ServiceEnvironment): string {
  if (process.env.UCP_PLASMAVMC_SHARED_DIR) return process.env.UCP_PLASMAVMC_SHARED_DIR;
  const nodeState = dirname(env.stateDir);
  // lab layout: <lab>/nodes/<node>/state/plasmavmc → <lab>/shared/plasmavmc
  if (basename(nodeState) === 'state' && basename(dirname(dirname(nodeState))) === 'nodes') {
    return join(dirname(dirname(dirname(nodeState))), 'shared', 'plasmavmc');
  }
  return join(env.stateDir, 'shared');
}

let probe: AcceleratorProbe | null = null;
const accelerator = (async () => {
  probe = await probeAccelerator(await probeGuestImage());
  return probe.mode;
})();
accelerator.catch(() => {});
let runtime: VmRuntime | undefined;

await startHttpService({
  faults: plasmavmcFaults,
  health: () => ({ accelerator: probe?.mode ?? 'probing' }),
  onShutdown: () => runtime?.stopAll(),
  async routes(app, { env, faults }) {
    const shared = sharedDir(env);
    await mkdir(join(shared, 'disks'), { recursive: true });
    const store = new JsonStore<PlasmavmcState>(join(env.stateDir, 'plasmavmc.json'), () => ({ vms: {} }));
    const vms = new VmRuntime(store, {
      node: env.node,
      host: env.host,
      stateDir: env.stateDir,
      accelerator: () => accelerator,
      attachTaps: () => !faults.on('tap-not-attached'),
      store: () => lightningstorEndpoint(env),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    runtime = vms;
    const find = (key: string): VmRecord => {
      const all = Object.values(store.get().vms);
      const vm = all.find((v) => v.id === key) ?? all.find((v) => v.name === key);
      if (!vm) throw new HttpError(404, `no VM "${key}" on ${env.node}`);
      return vm;
    };
    const now = () => new Date().toISOString();
    const makeDisk = async (vm: VmRecord) => {
      await rm(vm.diskPath, { force: true });
      const fh = await open(vm.diskPath, 'w');
      await fh.truncate(vm.diskMiB * 2 ** 20).finally(() => fh.close());
    };

    app.get('/v1/worker', async () => {
      await accelerator.catch(() => {});
      return registration(env.node, env.host, store.get(), probe, faults.on('advertise-extra-hypervisor'));
    });
    app.get('/v1/vms', () => ({ vms: Object.values(store.get().vms) }));
    app.post('/v1/vms', async (req) => {
      const spec = parseCreateVm(req.body);
      if (Object.values(store.get().vms).some((v) => v.name === spec.name)) {
        throw new HttpError(409, `a VM named "${spec.name}" already exists on ${env.node}`);
      }
      const id = randomBytes(6).toString('hex');
      const nic = spec.port ? await resolveNic(env, id, spec.port) : null;
      if (spec.stateBucket) lightningstorEndpoint(env);
      const disk = await createVolumeDisk(env, `vm-${id}`, spec.diskMiB * 2 ** 20);
      const vm: VmRecord = {
        id,
        name: spec.name,
        image: 'webapp',
        memoryMiB: spec.memoryMiB,
        diskMiB: spec.diskMiB,
        diskPath: disk?.path ?? join(shared, 'disks', `${id}.raw`),
        volume: disk?.volume ?? null,
        desired: spec.start ? 'running' : 'stopped',
        state: 'stopped',
        node: env.node,
        forward: null,
        nic,
        stateBucket: spec.stateBucket,
        accelerator: null,
        pid: null,
        bootMs: null,
        boots: 0,
        detail: null,
        createdAt: now(),
        updatedAt: now(),
        migratedFrom: null,
      };
      if (!disk) await makeDisk(vm);
      store.update((s) => {
        s.vms[id] = vm;
      });
      const out = spec.start ? await vms.boot(id) : vm;
      return reply({ status: 201, json: out });
    });
    app.get('/v1/vms/:id', (req) => find(req.params.id as string));
    app.post('/v1/vms/:id/start', async (req) => {
      const vm = find(req.params.id as string);
      vms.update(vm.id, { desired: 'running' });
      return vms.boot(vm.id);
    });
    app.post('/v1/vms/:id/stop', async (req) => {
      const vm = find(req.params.id as string);
      vms.update(vm.id, { desired: 'stopped' });
      await vms.stop(vm.id);
      return find(vm.id);
    });
    app.post('/v1/vms/:id/restart', async (req) => {
      const vm = find(req.params.id as string);
      await vms.stop(vm.id);
      if (faults.on('lose-disk-on-restart')) await truncate(vm.diskPath, 0).then(() => makeDisk(vm));
      vms.update(vm.id, { desired: 'running' });
      return vms.boot(vm.id);
    });
    app.delete('/v1/vms/:id', async (req) => {
      const vm = find(req.params.id as string);
      await vms.stop(vm.id, 2_000);
      store.update((s) => void delete s.vms[vm.id]);
      if (vm.volume) await releaseVolume(env, vm.volume);
      else await rm(vm.diskPath, { force: true });
      if (vm.nic) await removeTap(vm.nic);
      return { deleted: vm.id };
    });
    app.get('/v1/vms/:id/console', (req) => {
      const vm = find(req.params.id as string);
      let text = '';
      try {
        text = readFileSync(vms.consoleLog(vm.id), 'utf8');
      } catch {
        // never booted here
      }
      return reply({ status: 200, body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    });
    app.post('/v1/vms/:id/migrate', async (req) => {
      const vm = find(req.params.id as string);
      const destination = (req.body as { destination?: unknown } | undefined)?.destination;
      if (typeof destination !== 'string' || !destination)
        throw new HttpError(400, 'destination (a node name) is required');
      const report = await migrateOut(vm, destination, env, vms, {
        keepSource: faults.on('migration-leaves-source-running'),
      });
      store.update((s) => void delete s.vms[vm.id]);
      return report;
    });
    app.post('/v1/migrations/incoming', async (req) => {
      const body = req.body as { vm?: VmRecord; source?: string } | undefined;
      const vm = body?.vm;
      if (!vm?.id || !vm.name || !vm.diskPath) throw new HttpError(400, 'vm (the source record) is required');
      assertSharedDisk(vm, env.node);
      if (store.get().vms[vm.id]) throw new HttpError(409, `VM ${vm.name} already exists on ${env.node}`);
      const uri = await migrationUri(env.host);
      let diskPath = vm.diskPath;
      if (faults.on('migration-disk-not-shared')) {
        diskPath = join(env.stateDir, 'local-disks', `${vm.id}.raw`);
        await mkdir(dirname(diskPath), { recursive: true });
        await makeDisk({ ...vm, diskPath });
      }
      const incoming: VmRecord = {
        ...vm,
        diskPath,
        node: env.node,
        state: 'migrating',
        forward: null,
        pid: null,
        migratedFrom: body?.source ?? null,
        updatedAt: now(),
      };
      store.update((s) => {
        s.vms[vm.id] = incoming;
      });
      try {
        await vms.boot(vm.id, uri);
      } catch (err) {
        store.update((s) => void delete s.vms[vm.id]);
        throw err;
      }
      return { uri };
    });
    app.post('/v1/migrations/:id/commit', async (req) => {
      const vm = find(req.params.id as string);
      const guest = vms.guest(vm.id);
      // the source reports "completed" a moment before this side has loaded the state and resumed the guest
      let status = await guest?.qmp.execute<{ status: string }>('query-status');
      const deadline = performance.now() + 30_000;
      while (status?.status === 'inmigrate' && performance.now() < deadline) {
        await sleep(100);
        status = await guest?.qmp.execute<{ status: string }>('query-status');
      }
      if (status?.status !== 'running') {
        throw new HttpError(409, `incoming VM ${vm.name} is "${status?.status ?? 'not running'}", not running`);
      }
      return vms.update(vm.id, { state: 'running', desired: 'running' });
    });
    app.post('/v1/migrations/:id/abort', async (req) => {
      const vm = find(req.params.id as string);
      await vms.discard(vm.id);
      store.update((s) => void delete s.vms[vm.id]);
      return { aborted: vm.id };
    });

    for (const vm of Object.values(store.get().vms)) {
      if (vm.state === 'migrating') vms.update(vm.id, { state: 'failed', detail: 'worker restarted mid-migration' });
      else if (vm.desired === 'running') {
        vms.update(vm.id, { state: 'stopped', pid: null });
        void vms.boot(vm.id).catch((err: unknown) => vms.update(vm.id, { state: 'failed', detail: String(err) }));
      } else if (vm.state !== 'stopped') vms.update(vm.id, { state: 'stopped', pid: null });
    }
  },
});
