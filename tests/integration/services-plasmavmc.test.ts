import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlasmavmcPort, type Vm, webappUrl } from '../../contracts/ports/plasmavmc.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import type { PortBinding } from '../../lab/target/bindings/binding.ts';
import { createPlasmavmcPort } from '../../lab/target/bindings/plasmavmc.ts';
import { freePort } from '../unit/support/lab-service-process.ts';

const repoRoot = new URL('../../', import.meta.url).pathname;
const workers = ['node04', 'node05'] as const;
type Worker = (typeof workers)[number];

interface Instance {
  node: Worker;
  port: number;
  stateDir: string;
  faultsFile: string;
  child?: ChildProcess;
  output: string;
}

let root: string;
let accel: string;
const instances = {} as Record<Worker, Instance>;
let plasmavmc: PlasmavmcPort;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function launch(i: Instance): Promise<void> {
  const cluster = {
    nodes: workers.map((n) => ({
      name: n,
      role: 'worker',
      address: '127.0.0.1',
      services: { plasmavmc: { host: '127.0.0.1', port: instances[n].port } },
    })),
  };
  const child = spawn(process.execPath, [join(repoRoot, 'lab/services/plasmavmc/main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      UCP_SERVICE: 'plasmavmc',
      UCP_NODE: i.node,
      UCP_LISTEN: `127.0.0.1:${i.port}`,
      UCP_STATE_DIR: i.stateDir,
      UCP_FAULTS_FILE: i.faultsFile,
      UCP_CLUSTER: JSON.stringify(cluster),
      UCP_PLASMAVMC_SHARED_DIR: join(root, 'shared'),
      ULTRACLOUD_VM_ACCELERATOR: accel,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  i.child = child;
  i.output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      i.output += c.toString();
      if (i.output.includes('ULTRACLOUD_MARKER service.plasmavmc.ready')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`plasmavmc ${i.node} exited (${code}):\n${i.output}`)));
  });
}

async function halt(i: Instance, signal: NodeJS.Signals): Promise<void> {
  const child = i.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}

async function setFaults(i: Instance, faults: Record<string, boolean>): Promise<void> {
  await writeFile(`${i.faultsFile}.tmp`, JSON.stringify(faults));
  await rename(`${i.faultsFile}.tmp`, i.faultsFile);
}

const binding: PortBinding = {
  targetName: 'unit-test',
  instances: () =>
    workers.map((n) => ({ node: n, endpoint: { host: '127.0.0.1', port: instances[n].port, scheme: 'http' } })),
  on: (node) => ({ host: '127.0.0.1', port: instances[node as Worker].port, scheme: 'http' }),
};

const state = async (vm: Vm) =>
  (await fetch(`${webappUrl(vm)}/cgi-bin/state`)).json() as Promise<Record<string, unknown>>;
const write = async (vm: Vm, message: string) => {
  const res = await fetch(`${webappUrl(vm)}/cgi-bin/state`, { method: 'POST', body: message });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ucp-plasmavmc-'));
  accel = (await probeAccelerator(await probeGuestImage())).mode;
  for (const node of workers) {
    instances[node] = {
      node,
      port: await freePort(),
      stateDir: join(root, node, 'state'),
      faultsFile: join(root, node, 'faults.json'),
      output: '',
    };
  }
  for (const node of workers) {
    await rm(instances[node].stateDir, { recursive: true, force: true });
    await writeFile(instances[node].faultsFile, '{}').catch(async () => {
      await mkdtemp(join(root, 'x'));
    });
  }
  await Promise.all(workers.map((n) => launch(instances[n])));
  plasmavmc = createPlasmavmcPort(binding);
}, 120_000);

afterAll(async () => {
  for (const n of workers) if (instances[n]) await halt(instances[n], 'SIGTERM');
  if (root) await rm(root, { recursive: true, force: true });
});

describe('lab plasmavmc on real QEMU', { timeout: 600_000 }, () => {
  let vm: Vm;

  it('registers both workers with exactly HYPERVISOR_TYPE_KVM and the accelerator VMs run with', async () => {
    const regs = await plasmavmc.workers();
    expect(regs.map((r) => [r.node, r.hypervisors])).toEqual([
      ['node04', ['HYPERVISOR_TYPE_KVM']],
      ['node05', ['HYPERVISOR_TYPE_KVM']],
    ]);
    for (const r of regs) {
      expect(r.accelerator).toBe(accel);
      expect(r.capacity.vcpus).toBeGreaterThan(0);
    }
    await setFaults(instances.node05, { 'advertise-extra-hypervisor': true });
    expect((await plasmavmc.at('node05').worker()).hypervisors).toEqual([
      'HYPERVISOR_TYPE_KVM',
      'HYPERVISOR_TYPE_FIRECRACKER',
    ]);
    await setFaults(instances.node05, {});
    expect((await plasmavmc.at('node05').worker()).hypervisors).toEqual(['HYPERVISOR_TYPE_KVM']);
  });

  it('creates a VM whose web app answers through the port forward and keeps state across a restart', async () => {
    const node04 = plasmavmc.at('node04');
    await expect(node04.createVm({ name: 'Bad Name' })).rejects.toThrow(/400.*name must be/);
    vm = await node04.createVm({ name: 'web1' });
    expect(vm.state).toBe('booting');
    vm = await node04.waitForState('web1', 'running');
    expect(vm.accelerator).toBe(accel);
    expect(vm.bootMs).toBeGreaterThan(0);
    expect(await (await fetch(`${webappUrl(vm)}/`)).text()).toContain('UltraCloud demo web app');
    expect(await state(vm)).toMatchObject({ counter: 0, boots: 1, message: '' });
    expect(await write(vm, 'hello from the lab')).toMatchObject({ counter: 1, message: 'hello from the lab' });
    expect(await node04.console('web1')).toMatch(/ULTRACLOUD_MARKER webapp\.state-written\.web1 counter=1/);

    const firstPid = vm.pid as number;
    await node04.restartVm('web1');
    vm = await node04.waitForState('web1', 'running');
    expect(alive(firstPid)).toBe(false);
    expect(await state(vm)).toMatchObject({ counter: 1, boots: 2, message: 'hello from the lab' });
  });

  it('stops (QEMU gone) and starts again with the same disk', async () => {
    const node04 = plasmavmc.at('node04');
    const pid = vm.pid as number;
    const stopped = await node04.stopVm('web1');
    expect([stopped.state, stopped.desired, stopped.pid]).toEqual(['stopped', 'stopped', null]);
    expect(alive(pid)).toBe(false);
    await node04.startVm('web1');
    vm = await node04.waitForState('web1', 'running');
    expect(await state(vm)).toMatchObject({ counter: 1, boots: 3, message: 'hello from the lab' });
  });

  it('live-migrates to the other worker over shared storage without rebooting the guest', async () => {
    const sourcePid = vm.pid as number;
    const report = await plasmavmc.at('node04').migrateVm('web1', 'node05');
    expect([report.from, report.to, report.vm.node, report.vm.state]).toEqual([
      'node04',
      'node05',
      'node05',
      'running',
    ]);
    expect(report.vm.migratedFrom).toBe('node04');
    expect(await plasmavmc.at('node04').vm('web1')).toBeNull();
    expect(alive(sourcePid)).toBe(false);
    vm = report.vm;
    expect(await state(vm)).toMatchObject({ counter: 1, boots: 3, message: 'hello from the lab' });
    expect(await write(vm, 'written on node05')).toMatchObject({ counter: 2 });
  });

  it('QEMU dies with the service; a restarted worker boots the VMs that should run', async () => {
    const i = instances.node05;
    const pid = vm.pid as number;
    await halt(i, 'SIGKILL');
    await expect.poll(() => alive(pid), { timeout: 10_000 }).toBe(false);
    await launch(i);
    vm = await plasmavmc.at('node05').waitForState('web1', 'running');
    expect(vm.pid).not.toBe(pid);
    expect(await state(vm)).toMatchObject({ counter: 2, boots: 4, message: 'written on node05' });
  });

  it('lose-disk-on-restart: the web app state is gone after a restart', async () => {
    const node05 = plasmavmc.at('node05');
    await setFaults(instances.node05, { 'lose-disk-on-restart': true });
    await node05.restartVm('web1');
    vm = await node05.waitForState('web1', 'running');
    expect(await state(vm)).toMatchObject({ counter: 0, boots: 1, message: '' });
    await setFaults(instances.node05, {});
    const pid = vm.pid as number;
    await node05.deleteVm('web1');
    expect(alive(pid)).toBe(false);
    expect(existsSync(vm.diskPath)).toBe(false);
  });
});
