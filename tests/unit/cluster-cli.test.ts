import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, it } from 'vitest';
import { workTempDir } from '../../helpers/proof-root.ts';

const root = resolve(import.meta.dirname, '../..');
const work = await workTempDir('ucp-cluster-cli-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function ucproof(...args: string[]) {
  const r = await execa(process.execPath, [join(root, 'cli/main.ts'), 'cluster', ...args], {
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: work },
    reject: false,
    stripFinalNewline: false,
  });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

// every case is its own ucproof processes, which wait on their own start-up: the cases run side by side
describe.concurrent('ucproof cluster arguments', () => {
  it.for([
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
  ] as Array<[string[], string]>)(
    '%j exits 2 naming the problem, and boots nothing',
    { timeout: 120_000 },
    async ([args, message], { expect }) => {
      const r = await ucproof(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect((await ucproof('status')).code).toBe(1);
    },
  );

  it('says so when no cluster is up', { timeout: 120_000 }, async ({ expect }) => {
    const r = await ucproof('status', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no cluster is up (start one with 'ucproof cluster up')");
    expect(await ucproof('stop')).toMatchObject({ code: 0, stdout: 'no cluster is up\n' });
  });
});
