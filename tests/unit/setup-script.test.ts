import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';

const bash = (script: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('bash', ['-c', script], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ...env } });

describe('scripts/setup.sh', () => {
  it('puts the project’s ucproof, node and vitest on PATH when sourced with --env', () => {
    const out = bash('source scripts/setup.sh --env && command -v ucproof && command -v node && command -v vitest', {
      PATH: '/usr/bin:/bin',
    }).trim();
    const [ucproof, node, vitest] = out.split('\n');
    expect(ucproof).toBe(join(projectRoot, 'bin/ucproof'));
    expect(node).toMatch(new RegExp(`^${join(projectRoot, '.toolchain')}/node-[0-9.]+/bin/node$`));
    expect(vitest).toBe(join(projectRoot, 'node_modules/.bin/vitest'));
  });

  it('prints nothing and leaves the caller’s shell options alone when everything is in place', () => {
    const out = execFileSync('bash', ['-c', 'bash scripts/setup.sh 2>&1; source scripts/setup.sh --env; echo "$-"'], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('e');
  });
});
