import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';

const run = promisify(execFile);
const bin = join(projectRoot, 'bin', 'ucproof');

async function ucproof(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function runWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, { timeout: 60_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const commands = [
  'proof',
  'core-ops-proof',
  'markers',
  'merge-proofs',
  'guard',
  'work-root-budget',
  'cluster',
  'baremetal-iso-e2e',
  'hardware-smoke',
];

// every case is its own ucproof process (each blocked case its own work root): they run side by side
describe.concurrent('ucproof', () => {
  it('lists every command with --help', async ({ expect }) => {
    const { code, stdout } = await ucproof('--help');
    expect(code).toBe(0);
    for (const c of commands) expect(stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('exits 2 naming an unknown command', async ({ expect }) => {
    const { code, stderr } = await ucproof('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });

  it('cluster --help lists the lane and web app subcommands', async ({ expect }) => {
    const { code, stdout } = await ucproof('cluster', '--help');
    expect(code).toBe(0);
    for (const sub of [
      'demo-vm-webapp',
      'serve-vm-webapp',
      'matrix',
      'fresh-matrix',
      'bench-storage',
      'fresh-bench-storage',
      'provider-vm-reality-proof',
    ])
      expect(stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
  });

  it.for(['matrix', 'demo-vm-webapp', 'bench-storage'])(
    'cluster %s without a cluster up exits 3 (blocked) saying how to start one, and boots nothing',
    async (sub, { expect }) => {
      const work = await mkdtemp(join(tmpdir(), 'ucp-no-lab-'));
      try {
        const { code, stderr } = await runWith({ ULTRACLOUD_WORK_ROOT: work }, 'cluster', sub);
        expect(code, stderr).toBe(3);
        expect(stderr).toContain(`ucproof cluster ${sub}: no cluster is up (start one with 'ucproof cluster up'`);
        expect(existsSync(join(work, 'lab'))).toBe(false);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  );

  it.for(commands)('%s rejects an unknown option with exit 2, naming it', async (command, { expect }) => {
    const { code, stderr } = await ucproof(command, '--no-such-option');
    expect(code).toBe(2);
    expect(stderr).toContain('--no-such-option');
  });
});
