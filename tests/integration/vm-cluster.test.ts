import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectCluster } from '../../harness/cluster.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import type { VmRunnerNode } from '../../helpers/vm-runner/node.ts';
import { vmRunnerPid } from '../../helpers/vm-runner/process.ts';
import { referenceFlake } from '../../lab/cluster/flake-topology.ts';
import { labVmGuest } from '../../lab/target/vm-runner-guest.ts';
import { monorepoServicePort, monorepoSshPort } from '../../profiles/descriptors/ultracloud-monorepo.ts';
import { bootVmNodes, type VmCluster, waitForVmBoot } from '../../targets/monorepo/vm-cluster.ts';

// Two of the six harness nodes from the reference flake's `nix/test-cluster#…config.system.build.vm` runners,
// under real QEMU (TCG where KVM does not work), on host ports moved by a random offset.
const offset = 1_000 * (1 + Math.floor(Math.random() * 25)) + Math.floor(Math.random() * 40);
let dir: string;
let cluster: VmCluster | undefined;
let pids: number[] = [];

// a live QEMU (an exited child not reaped yet is a zombie: dead)
const qemuAlive = (pid: number) => {
  try {
    const [stat, comm] = execFileSync('ps', ['-o', 'stat=,comm=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    return Boolean(comm?.includes('qemu')) && !stat?.startsWith('Z');
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = await workTempDir('vm-cluster-');
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('VM-runner cluster (reference flake)', { timeout: 900_000 }, () => {
  test('boots node01 and node04 from their runners, reaches SSH, powers them through QMP and stops clean', async () => {
    const guest = await labVmGuest();
    cluster = await bootVmNodes(referenceFlake, {
      nodes: ['node01', 'node04'],
      sshKeyPath: guest.sshKeyPath,
      runnerEnvironment: { ULTRACLOUD_LAB_GUEST_KERNEL: guest.kernel, ULTRACLOUD_LAB_GUEST_INITRD: guest.initrd },
      workRoot: dir,
      hostPortOffset: offset,
      bootTimeoutMs: 600_000,
    });
    const { info } = cluster;
    const state = info.state as { vmNodes: VmRunnerNode[]; vmAcceleratorMode: string };
    expect(info.target).toMatchObject({ kind: 'ultracloud-monorepo', flake: referenceFlake });
    expect(info.facts.vm_accelerator_mode).toBe(state.vmAcceleratorMode);
    expect(info.descriptor.nodes.map((n) => n.name)).toEqual(['node01', 'node04']);
    expect(info.descriptor.nodes[0]?.ssh.port).toBe(monorepoSshPort(1) + offset);
    expect(info.descriptor.nodes[1]?.services.plasmavmc?.port).toBe(monorepoServicePort(4, 'plasmavmc') + offset);
    expect(['kvm', 'tcg']).toContain(state.vmAcceleratorMode);
    const env = await readFile(join(dir, 'test-cluster', 'state', 'environment.txt'), 'utf8');
    expect(env).toContain(`vm_accelerator_mode=${state.vmAcceleratorMode}`);
    for (const n of state.vmNodes) {
      expect(n.env.QEMU_NET_OPTS).toContain(`hostfwd=tcp:127.0.0.1:${n.ssh.port}-:22`);
      expect(n.env.QEMU_OPTS).toContain(`-qmp unix:${n.qmpSocket},server=on,wait=off`);
    }

    // the workers' view: handles rebuilt from plain data alone
    const plain = JSON.parse(JSON.stringify(info));
    const c = await connectCluster(plain);
    expect((await c.node('node01').succeed('hostname')).trim()).toBe('node01');
    expect((await c.node('node04').succeed('hostname')).trim()).toBe('node04');
    expect(await readFile(c.node('node04').console.path, 'utf8')).toContain('ULTRACLOUD_MARKER node.boot.node04');
    expect(await c.node('node04').exec('exit 3')).toMatchObject({ exitCode: 3 });
    pids = (await Promise.all(state.vmNodes.map(vmRunnerPid))).filter((p): p is number => p !== null);
    expect(pids).toHaveLength(2);

    // power loss, then power on again: a fresh boot that answers SSH
    const node04 = c.node('node04');
    await node04.power.kill();
    expect(await node04.power.state()).toBe('stopped');
    expect(qemuAlive(pids[1] as number)).toBe(false);
    await node04.power.start();
    expect(await node04.power.state()).toBe('running');
    await waitForVmBoot(cluster.nodes[1] as (typeof cluster.nodes)[number], 600_000);
    expect((await node04.succeed('hostname')).trim()).toBe('node04');
    const restarted = await vmRunnerPid(state.vmNodes[1] as VmRunnerNode);
    expect(restarted).not.toBe(pids[1]);
    pids.push(restarted as number);

    // graceful stop through the ACPI power button (QMP system_powerdown)
    await c.node('node01').power.stop();
    expect(await c.node('node01').power.state()).toBe('stopped');

    await cluster.stop();
    for (const pid of pids) expect(qemuAlive(pid), `qemu pid ${pid} after stop`).toBe(false);
  });
});
