import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { type CoronafsPort, coronafsOperations } from '../../contracts/ports/coronafs.ts';
import { type LightningstorPort, lightningstorOperations } from '../../contracts/ports/lightningstor.ts';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { proofLane } from '../../harness/proof-lane.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workRoot, workTempDir } from '../../helpers/proof-root.ts';
import { benchStorage, benchStorageLane } from '../../lanes/companion/bench-storage.ts';
import { BenchStorageResult, benchResultFile } from '../../lanes/companion/bench-storage-report.ts';

proofLane(benchStorage, { target: useCluster });

test('bench-storage leaves a schema-valid bench-storage.json and bench-storage.md of verified reads', () => {
  const latest = join(workRoot(), 'bench-storage', 'latest');
  const result = BenchStorageResult.parse(JSON.parse(readFileSync(join(latest, benchResultFile), 'utf8')));
  const keys = result.measurements.map((m) => `${m.store} ${m.operation} ${m.sizeBytes}`);
  for (const store of ['lightningstor', 'coronafs'])
    for (const op of ['sequential-write', 'sequential-read', 'random-read'])
      for (const size of [4 << 10, 1 << 20, 16 << 20, 64 << 20]) expect(keys).toContain(`${store} ${op} ${size}`);
  expect(result.measurements.every((m) => m.verified && m.p99Ms >= m.p50Ms)).toBe(true);
  expect(readFileSync(join(latest, 'bench-storage.md'), 'utf8')).toContain('| lightningstor | random-read | 64 MiB |');
});

/** The cluster with some ports replaced: what a store that corrupts reads looks like to the lane. */
function withPorts(cluster: Cluster, ports: Partial<Cluster['ports']>): Cluster {
  return {
    descriptor: cluster.descriptor,
    target: cluster.target,
    nodes: cluster.nodes,
    node: (name) => cluster.node(name),
    withRole: (role) => cluster.withRole(role),
    ports: { ...cluster.ports, ...ports },
    faults: cluster.faults,
    unbound: (operations) => cluster.unbound(operations),
    facts: cluster.facts,
    restore: cluster.restore,
  };
}

/** `port`'s operations, some replaced. */
function overriding<P extends object>(port: P, operations: readonly (keyof P)[], overrides: Partial<P>): P {
  const out: Partial<P> = {};
  for (const op of operations) {
    const own = port[op];
    out[op] = overrides[op] ?? (typeof own === 'function' ? own.bind(port) : own);
  }
  return out as P;
}

const flipFirstByte = (b: Buffer) => {
  const copy = Buffer.from(b);
  copy[0] = (copy[0] ?? 0) ^ 0xff;
  return copy;
};

function corruptObjects(port: LightningstorPort): LightningstorPort {
  return overriding(port, lightningstorOperations, {
    async getObject(bucket: string, key: string, versionId?: string) {
      const got = await port.getObject(bucket, key, versionId);
      return got && { ...got, body: flipFirstByte(got.body) };
    },
  });
}

function corruptBlocks(port: CoronafsPort): CoronafsPort {
  return overriding(port, coronafsOperations, {
    at: (node: string) => corruptBlocks(port.at(node)),
    async read(name: string, offset: number, length: number, snapshot?: string) {
      return flipFirstByte(await port.read(name, offset, length, snapshot));
    },
  });
}

const small = benchStorageLane([{ bytes: 4096, repetitions: 2 }]);

test.each([
  [
    'lightningstor',
    (c: Cluster) => withPorts(c, { lightningstor: corruptObjects(c.ports.lightningstor) }),
    'lightningstor: objects of 4 KiB to 4 KiB read back, in order and in random order, with the sha256 of the bytes written',
    'every 4 KiB object read back, in order and in random order, has the sha256 of the bytes written',
  ],
  [
    'coronafs',
    (c: Cluster) => withPorts(c, { coronafs: corruptBlocks(c.ports.coronafs) }),
    'coronafs: volume blocks of 4 KiB to 4 KiB read back, in order and at random offsets, with the sha256 of the bytes written',
    /^every 4 KiB block read back from volume bench-storage-[0-9a-f]{6}, in order and at random offsets, has the sha256 of the bytes written$/,
  ],
])('a %s read that differs from what was written fails bench-storage', async (_store, corrupt, step, property) => {
  const root = await workTempDir('ucp-bench-corrupt-');
  try {
    const result = await runLane(small, {
      target: corrupt(await useCluster()),
      targetName: 'cluster with corrupting reads',
      runId: 'negative',
      workRoot: root,
      log: () => {},
    });
    const why = JSON.stringify(result.failure);
    expect(result.status, why).toBe('failed');
    expect(result.failure?.kind, why).toBe('property');
    expect(result.failure?.stepPath.at(-1), why).toBe(step);
    if (typeof property === 'string') expect(result.failure?.property, why).toBe(property);
    else expect(result.failure?.property, why).toMatch(property);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
