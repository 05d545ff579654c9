import { statSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { HarnessError } from '../../contracts/errors.ts';
import { guestKernel } from '../../helpers/guest-image/guest-kernel.ts';
import { buildInitramfs } from '../../helpers/guest-image/initramfs.ts';
import { resolveModuleLoadOrder } from '../../helpers/guest-image/kernel-modules.ts';

const base = (rel: string) =>
  rel
    .split('/')
    .at(-1)
    ?.replace(/\.ko.*$/, '') ?? '';

describe('guest images', () => {
  test('virtio and ext4 modules load dependencies first', async () => {
    const order = (
      await resolveModuleLoadOrder(guestKernel().modulesDir, [
        'virtio_pci',
        'virtio_net',
        'virtio_blk',
        'crc32c_generic',
        'ext4',
      ])
    ).map(base);
    const precedes = (a: string, b: string) =>
      expect(order.indexOf(a), `${a} before ${b} in ${order}`).toBeLessThan(order.indexOf(b));
    for (const m of [
      'virtio_ring',
      'virtio',
      'virtio_pci',
      'virtio_pci_legacy_dev',
      'virtio_pci_modern_dev',
      'failover',
      'net_failover',
      'virtio_net',
      'virtio_blk',
      'ext4',
      'jbd2',
      'mbcache',
    ]) {
      expect(order).toContain(m);
    }
    precedes('virtio_ring', 'virtio_pci');
    precedes('virtio_pci_modern_dev', 'virtio_pci');
    precedes('failover', 'net_failover');
    precedes('net_failover', 'virtio_net');
    precedes('jbd2', 'ext4');
    precedes('mbcache', 'ext4');
    expect(new Set(order).size).toBe(order.length);
  });

  test('an unknown module is named', async () => {
    await expect(resolveModuleLoadOrder(guestKernel().modulesDir, ['no_such_module'])).rejects.toThrow(HarnessError);
    await expect(resolveModuleLoadOrder(guestKernel().modulesDir, ['no_such_module'])).rejects.toThrow(
      /"no_such_module"/,
    );
  });

  test('an initramfs carries init, busybox, files and the module order, and is cached by content', async () => {
    const spec = {
      name: 'unit-initramfs',
      init: '#!/bin/sh\necho hello\n',
      files: { '/etc/greeting': { content: 'hi\n' } },
      modules: ['virtio_blk'],
    };
    const first = await buildInitramfs(spec);
    const mtime = statSync(first).mtimeMs;
    expect(await buildInitramfs(spec)).toBe(first);
    expect(statSync(first).mtimeMs).toBe(mtime);
    expect(await buildInitramfs({ ...spec, init: '#!/bin/sh\necho other\n' })).not.toBe(first);
    const { stdout: list } = await execa('bash', ['-c', `gzip -dc "${first}" | cpio -t --quiet`]);
    for (const path of ['init', 'bin/busybox', 'bin/sh', 'etc/greeting', 'etc/modules.order'])
      expect(list.split('\n')).toContain(path);
    const { stdout: order } = await execa('bash', [
      '-c',
      `gzip -dc "${first}" | cpio -i --to-stdout --quiet etc/modules.order`,
    ]);
    const loaded = order.trim().split('\n').map(base);
    expect(loaded.at(-1)).toBe('virtio_blk');
    expect([...loaded.slice(0, -1)].sort()).toEqual(['virtio', 'virtio_ring']);
  });
});
