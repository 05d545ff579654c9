import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeSupported, projectNode, toolchainNode, unsupportedNode } from '../../helpers/node-version.ts';
import { projectRoot } from '../../helpers/proof-root.ts';

const machineNode = '/usr/bin/node';
const machineVersion = existsSync(machineNode)
  ? spawnSync(machineNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()
  : '';
const oldMachineNode = machineVersion !== '' && !nodeSupported(machineVersion);

describe('the project Node', () => {
  it.each([
    ['20.20.2', false],
    ['22.17.0', false],
    ['22.18.0', true],
    ['23.11.0', false],
    ['24.1.0', false],
    ['24.21.0', true],
    ['25.0.0', true],
  ])('Node %s supported: %s', (version, ok) => {
    expect(nodeSupported(version)).toBe(ok);
    expect(unsupportedNode(version) === undefined).toBe(ok);
  });

  it('an unsupported Node is one line naming what to run', () => {
    const line = unsupportedNode('20.20.2') as string;
    expect(line).not.toContain('\n');
    expect(line).toContain("'source scripts/setup.sh --env'");
    expect(line).toContain("'npm test'");
  });

  it('the harness spawns its processes with this Node when supported, else the toolchain Node', () => {
    expect(projectNode()).toBe(process.execPath);
    const own = toolchainNode();
    if (own) expect(projectNode('/usr/bin/node', '20.20.2')).toBe(own);
    else expect(() => projectNode('/usr/bin/node', '20.20.2')).toThrow(/source scripts\/setup.sh --env/);
  });

  it.skipIf(!oldMachineNode)(
    `vitest under the machine's Node ${machineVersion} refuses with one line and exit 2`,
    { timeout: 60_000 },
    () => {
      const r = spawnSync(
        machineNode,
        [join(projectRoot, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/unit/node-version.test.ts'],
        { cwd: projectRoot, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' } },
      );
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(`Node ${machineVersion} cannot run UltraCloud Proof`);
      expect(lines[0]).toContain('source scripts/setup.sh --env');
    },
  );

  it('bin/ucproof runs under the project Node whatever PATH says', () => {
    const r = spawnSync(join(projectRoot, 'bin/ucproof'), ['--help'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('usage: ucproof <command>');
  });
});
