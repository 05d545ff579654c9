import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../contracts/target.ts';
import { useCluster } from '../../harness/cluster.ts';
import { callJson } from '../../helpers/http.ts';
import { baseUrl } from '../../lab/target/bindings/binding.ts';
import type { ServiceName } from '../../profiles/descriptor-schema.ts';

describe('the reference cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await useCluster();
  });

  it('boots the six-node harness: node01-03 control plane, node04-05 workers, node06 gateway', () => {
    expect(cluster.nodes.map((n) => [n.name, n.role])).toEqual([
      ['node01', 'control-plane'],
      ['node02', 'control-plane'],
      ['node03', 'control-plane'],
      ['node04', 'worker'],
      ['node05', 'worker'],
      ['node06', 'gateway'],
    ]);
  });

  it('answers SSH on every node, each with its own hostname, address and PID namespace', async () => {
    for (const node of cluster.nodes) {
      const out = await node.succeed('hostname; ip -4 -o addr show dev eth0; cat /proc/1/cmdline | tr "\\0" " "');
      const [hostname, addr, init] = out.trim().split('\n');
      expect(hostname).toBe(node.name);
      expect(addr).toContain(`${node.address}/24`);
      // the supervisor, from its bundle (lab/node/supervisor.mjs) or its source under ULTRACLOUD_LAB_JS=ts
      expect(init).toMatch(/\/lab\/node\/supervisor\.(mjs|ts) /);
    }
  });

  it('reports a non-zero exit status and stderr from a failing command', async () => {
    const r = await cluster.node('node02').exec('echo oops >&2; exit 7');
    expect(r.exitCode).toBe(7);
    expect(r.stderr.trim()).toBe('oops');
  });

  it('does not hang on a command that leaves a process holding stdout', async () => {
    const r = await cluster.node('node05').exec('sleep 30 & echo started', { timeoutMs: 15_000 });
    expect(r.stdout.trim()).toBe('started');
    expect(r.durationMs).toBeLessThan(15_000);
  });

  it('serves GET /health for every service of every node', async () => {
    for (const node of cluster.descriptor.nodes) {
      for (const [service, endpoint] of Object.entries(node.services)) {
        const health = await callJson<{ service: string; node: string }>('GET', `${baseUrl(endpoint)}/health`);
        expect({ service: health.service, node: health.node }).toEqual({
          service: service as ServiceName,
          node: node.name,
        });
      }
    }
  });

  it('wrote node.boot and node.ready markers on every console', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const node of cluster.nodes) {
      const text = await readFile(node.console.path, 'utf8');
      expect(text).toContain(`ULTRACLOUD_MARKER node.boot.${node.name}`);
      expect(text).toContain(`ULTRACLOUD_MARKER node.ready.${node.name}`);
    }
  });
});
