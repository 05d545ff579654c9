import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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

const commands = [
  'proof',
  'core-ops-proof',
  'markers',
  'guard',
  'work-root-budget',
  'cluster',
  'baremetal-iso-e2e',
  'hardware-smoke',
];

describe('ucproof', () => {
  it('lists every command with --help', async () => {
    const { code, stdout } = await ucproof('--help');
    expect(code).toBe(0);
    for (const c of commands) expect(stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('exits 2 naming an unknown command', async () => {
    const { code, stderr } = await ucproof('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });

  it.each(commands)('%s rejects an unknown option with exit 2, naming it', async (command) => {
    const { code, stderr } = await ucproof(command, '--no-such-option');
    expect(code).toBe(2);
    expect(stderr).toContain('--no-such-option');
  });
});
