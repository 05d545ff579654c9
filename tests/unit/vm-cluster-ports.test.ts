import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BlockedError, HarnessError } from '../../contracts/errors.ts';
import {
  monorepoServicePort,
  monorepoSshPort,
  ultracloudMonorepoDescriptor,
  vmRunnerAttribute,
} from '../../profiles/descriptors/ultracloud-monorepo.ts';
import { bootVmNodes } from '../../targets/monorepo/vm-cluster.ts';
import { nodeForwards, qemuNetOpts, shiftHostPorts } from '../../targets/monorepo/vm-runner-ports.ts';

const descriptor = ultracloudMonorepoDescriptor({ flake: '/src/ultracloud', workRoot: '/src/ultracloud/work' });
const node = (name: string) => {
  const n = descriptor.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no ${name}`);
  return n;
};

describe('VM-runner forwards and ports', () => {
  test('QEMU_NET_OPTS forwards SSH and every service of the node on loopback only', () => {
    const n = node('node06');
    expect(n.launcher).toMatchObject({
      kind: 'nixos-vm-runner',
      attribute: vmRunnerAttribute('/src/ultracloud', 'node06'),
    });
    const opts = qemuNetOpts(nodeForwards(n));
    expect(opts.split(',')[0]).toBe(`hostfwd=tcp:127.0.0.1:${monorepoSshPort(6)}-:22`);
    expect(opts).toContain(`hostfwd=tcp:127.0.0.1:${monorepoServicePort(6, 'apigateway')}-:`);
    expect(opts).toMatch(/hostfwd=udp:127\.0\.0\.1:\d+-:\d+/);
    for (const fwd of opts.split(',')) expect(fwd).toMatch(/^hostfwd=(tcp|udp):127\.0\.0\.1:\d+-:\d+$/);
  });

  test('a port offset moves SSH, services, extra listeners and forwards together, guest ports stay', () => {
    const n = node('node01');
    const moved = shiftHostPorts(n, 1_000);
    expect(moved.ssh.port).toBe(n.ssh.port + 1_000);
    expect(moved.services.chainfire?.port).toBe((n.services.chainfire?.port ?? 0) + 1_000);
    expect(moved.extraEndpoints?.['chainfire.etcd']?.port).toBe(
      (n.extraEndpoints?.['chainfire.etcd']?.port ?? 0) + 1_000,
    );
    const before = nodeForwards(n);
    const after = nodeForwards(moved);
    expect(after.map((f) => f.guestPort)).toEqual(before.map((f) => f.guestPort));
    expect(after.map((f) => f.hostPort)).toEqual(before.map((f) => f.hostPort + 1_000));
    expect(() => shiftHostPorts(n, 60_000)).toThrow(/out of range/);
  });

  test('an unknown node and a missing SSH key are refused before anything is built', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ucp-vm-ports-'));
    const saved = process.env.ULTRACLOUD_VM_SSH_KEY;
    try {
      await expect(bootVmNodes('/src/ultracloud', { nodes: ['node09'], workRoot: dir })).rejects.toThrow(HarnessError);
      delete process.env.ULTRACLOUD_VM_SSH_KEY;
      const err = await bootVmNodes('/src/ultracloud', {
        nodes: ['node01'],
        workRoot: dir,
        hostPortOffset: 7_013,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockedError);
      expect((err as BlockedError).missing.join()).toContain('ULTRACLOUD_VM_SSH_KEY');
    } finally {
      if (saved !== undefined) process.env.ULTRACLOUD_VM_SSH_KEY = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
