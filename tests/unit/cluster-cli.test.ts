import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workTempDir } from '../../helpers/proof-root.ts';

const root = resolve(import.meta.dirname, '../..');
const work = await workTempDir('ucp-cluster-cli-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function ucproof(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'cli/main.ts'), 'cluster', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: work },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ucproof cluster arguments', () => {
  it.each([
    [['bogus'], 'unknown subcommand "bogus"'],
    [[], 'missing subcommand'],
    [['logs'], 'usage: ucproof cluster logs NODE'],
    [['ssh'], 'usage: ucproof cluster ssh NODE [-- CMD]'],
    [['status', '--colour'], "Unknown option '--colour'"],
    [['stop', '--', 'x'], '"--" is only for "ssh NODE -- CMD"'],
    [['up', '--faults', 'chainfire'], '--faults: "chainfire" is not <service>:<fault>[@<node>]'],
    [
      ['up', '--faults', 'chainfire:nope'],
      'unknown fault "nope" for service "chainfire"; known: learner-never-catches-up',
    ],
    [['up', '--faults', 'chainfire:leader-transfer-noop@node05'], 'node "node05" does not run "chainfire"'],
    [['up', '--services', 'chainfire,etcd'], '--services: unknown service "etcd"'],
  ])('%j exits 2 naming the problem, and boots nothing', { timeout: 120_000 }, (args, message) => {
    const r = ucproof(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(ucproof('status').code).toBe(1);
  });

  it('says so when no cluster is up', { timeout: 120_000 }, () => {
    const r = ucproof('status', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no cluster is up (start one with 'ucproof cluster up')");
    expect(ucproof('stop')).toMatchObject({ code: 0, stdout: 'no cluster is up\n' });
  });
});
