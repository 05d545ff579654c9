import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster, useClusterInfo } from '../../harness/cluster.ts';
import { waitForMarkers } from '../../helpers/markers.ts';
import { eventually } from '../../helpers/retry.ts';
import { labControl } from './support/lab.ts';

const bootsOf = async (path: string, node: string) =>
  (await readFile(path, 'utf8')).split('\n').filter((l) => l.startsWith(`ULTRACLOUD_MARKER node.boot.${node}`)).length;

describe('node power', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await useCluster();
  });
  const lab = labControl(useClusterInfo());

  const allHealthy = (node: string) =>
    eventually(
      async () => {
        const bad = (await lab.node(node)).services.filter((s) => s.health !== 'healthy');
        if (bad.length) throw new Error(`not healthy: ${bad.map((s) => `${s.name}=${s.health}`).join(', ')}`);
      },
      { timeoutMs: 60_000, what: `every service of ${node} healthy` },
    );

  it('a worker killed (power loss) boots again with its services and keeps its state directory', async () => {
    const node = cluster.node('node05');
    const stateFile = `${node.console.path.replace(/console\.log$/, '')}state/power-proof-${Date.now()}`;
    await node.succeed(`echo survived > ${stateFile} && sync`);
    const bootsBefore = await bootsOf(node.console.path, node.name);

    await node.power.kill();
    expect(await node.power.state()).toBe('stopped');
    const down = await node.exec('true', { timeoutMs: 3_000 }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    expect(down).not.toBe('answered');

    const ready = waitForMarkers(node.console.path, [`node.boot.${node.name}`, `node.ready.${node.name}`], {
      timeoutMs: 60_000,
      from: 'end',
    });
    await node.power.start();
    await ready;
    expect(await bootsOf(node.console.path, node.name)).toBe(bootsBefore + 1);
    expect((await node.succeed(`cat ${stateFile}`)).trim()).toBe('survived');
    await allHealthy(node.name);
  });

  it('a graceful stop shuts services down in reverse order and writes the shutdown marker', async () => {
    const node = cluster.node('node04');
    await node.power.stop();
    expect(await node.power.state()).toBe('stopped');
    const text = await readFile(node.console.path, 'utf8');
    const tail = text.slice(text.lastIndexOf(`ULTRACLOUD_MARKER node.boot.${node.name}`));
    const stopped = [...tail.matchAll(/ULTRACLOUD_MARKER service\.([a-z0-9-]+)\.stopped/g)].map((m) => m[1]);
    const started = [...tail.matchAll(/supervisor: starting ([a-z0-9-]+) /g)].map((m) => m[1]);
    expect(stopped).toEqual([...new Set(started)].reverse());
    expect(tail).toContain(`ULTRACLOUD_MARKER node.shutdown.${node.name}`);
    const ready = waitForMarkers(node.console.path, [`node.ready.${node.name}`], { timeoutMs: 60_000, from: 'end' });
    await node.power.start();
    await ready;
    await allHealthy(node.name);
  });

  it('restarts one service alone, leaving the node and its other services running', async () => {
    const before = (await lab.node('node06')).services;
    const [victim, ...others] = before.filter((s) => s.name !== 'sshd');
    if (!victim) throw new Error('node06 runs no service');
    await lab.restartService('node06', victim.name);
    const after = (await lab.node('node06')).services;
    expect(after.find((s) => s.name === victim.name)?.pid).not.toBe(victim.pid);
    for (const o of others) expect(after.find((s) => s.name === o.name)?.pid).toBe(o.pid);
    await allHealthy('node06');
  });
});
