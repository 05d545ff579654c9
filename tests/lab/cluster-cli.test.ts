import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workTempDir } from '../../helpers/proof-root.ts';
import { listNetns } from '../../lab/net/ip.ts';

/** The operator's path: `ucproof cluster up`, status, ssh, logs, stop — on a lab of its own work root. */
const root = resolve(import.meta.dirname, '../..');
// under the work root: every lab node mounts a private /tmp over the host's, so a lab never lives in /tmp
const work = await workTempDir('ucp-cluster-up-');
let labId = '';

function ucproof(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'cli/main.ts'), 'cluster', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: work },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => {
  ucproof('stop');
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('ucproof cluster', () => {
  it('up boots six healthy nodes that status --json reports', () => {
    const up = ucproof('up');
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    labId = /cluster ([0-9a-f]{6}) up in/.exec(up.stdout)?.[1] ?? '';
    expect(labId).not.toBe('');
    const status = ucproof('status', '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      nodes: Array<{ name: string; role: string; state: string; services: Record<string, string> }>;
    };
    expect(report.nodes.map((n) => `${n.name}:${n.role}:${n.state}`)).toEqual([
      'node01:control-plane:running',
      'node02:control-plane:running',
      'node03:control-plane:running',
      'node04:worker:running',
      'node05:worker:running',
      'node06:gateway:running',
    ]);
    for (const n of report.nodes) {
      expect(Object.keys(n.services).length).toBeGreaterThan(1);
      for (const [service, health] of Object.entries(n.services))
        expect(`${n.name}/${service}=${health}`).toBe(`${n.name}/${service}=healthy`);
    }
  }, 300_000);

  it('ssh runs a command on the node and passes its exit status through', () => {
    expect(ucproof('ssh', 'node04', '--', 'hostname')).toMatchObject({ code: 0, stdout: 'node04\n' });
    expect(ucproof('ssh', 'node02', '--', 'exit', '5').code).toBe(5);
    expect(ucproof('ssh', 'node09', '--', 'hostname')).toMatchObject({ code: 2 });
  });

  it("logs prints a node's console", () => {
    const logs = ucproof('logs', 'node03');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('ULTRACLOUD_MARKER node.ready.node03');
  });

  it('stop leaves nothing of the cluster running', async () => {
    expect(ucproof('stop')).toMatchObject({ code: 0, stdout: `cluster ${labId} stopped\n` });
    expect((await listNetns()).filter((ns) => ns.startsWith(`ucn-${labId}-`))).toEqual([]);
    const procs = spawnSync('pgrep', ['-f', `work/lab/${labId}/`], { encoding: 'utf8' }).stdout.trim();
    expect(procs).toBe('');
    expect(ucproof('status').code).toBe(1);
  }, 120_000);
});
