import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { referenceFlake, runNix } from '../../guards/nix-command.ts';
import { checkRegistrationPath, formatRegistration } from '../../helpers/check-registration.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { LaneResult } from '../../profiles/result-schema.ts';

/**
 * The reference flake's lane checks run their lane when built: `ucproof check <name>` registers the harness and
 * runs `nix build` of checks.x86_64-linux.<name>, whose builder boots its own lab and runs the lane. A healthy lab
 * passes with the lane's result.json in the output; the same derivation built again with a lane's fault on fails
 * (an impure derivation is never served from an earlier build), naming the lane, the step and the property.
 */
const installable = (check: string) => `${referenceFlake}#checks.x86_64-linux.${check}`;

async function drvPathOf(check: string): Promise<string> {
  const r = await runNix('eval', ['--raw', `${installable(check)}.drvPath`], { offline: true });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

const ucproofCheck = (check: string, env: Record<string, string> = {}) =>
  execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'check', check], {
    reject: false,
    env: { ...env, ULTRACLOUD_LAB_FAULTS: env.ULTRACLOUD_LAB_FAULTS ?? '' },
    stdin: 'ignore',
  });

/** what nix printed from the moment the build failed (its own error and the builder's verdict lines) */
function builderVerdict(stderr: string, check: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith(`${check}> check ${check}:`))
    .map((l) => l.slice(`${check}> `.length));
}

function outputOf(stdout: string): string {
  const out = stdout.trim().split('\n').at(-1) ?? '';
  expect(out).toMatch(/^\/nix\/store\/[a-z0-9]{32}-/);
  return out;
}

describe('a lane check without the harness registration', () => {
  let wrote = false;
  beforeEach(() => {
    // the registration is the host's: a build of a check by anyone else must not be running now
    expect(existsSync(checkRegistrationPath), `${checkRegistrationPath} is held by another check build`).toBe(false);
  });
  afterEach(() => {
    if (wrote) rmSync(checkRegistrationPath, { force: true });
    wrote = false;
  });

  it('fails its build naming the missing registration', async () => {
    const r = await runNix('build', ['--no-link', installable('deployer-vm-smoke')], { offline: true });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(
      `check deployer-vm-smoke: no proof harness is registered for this build: ${checkRegistrationPath} is missing`,
    );
  });

  it("fails its build when the registration is another check's", async () => {
    wrote = true;
    writeFileSync(
      checkRegistrationPath,
      formatRegistration({
        schema: 'ultracloud-proof/check-harness@1',
        node: process.execPath,
        cli: join(projectRoot, 'cli/main.ts'),
        check: 'deployer-vm-rollback',
        pid: process.pid,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      }),
      { mode: 0o600 },
    );
    const r = await runNix('build', ['--no-link', installable('deployer-vm-smoke')], { offline: true });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(
      `check deployer-vm-smoke: ${checkRegistrationPath} registers the harness for check deployer-vm-rollback, not deployer-vm-smoke`,
    );
  });
});

describe('checks.x86_64-linux.deployer-vm-smoke runs its lane', () => {
  it('passes on a healthy lab with the lane result.json in the output; with nix-agent compile-on-guest the same build fails at the activation step', async () => {
    const drv = await drvPathOf('deployer-vm-smoke');

    const healthy = await ucproofCheck('deployer-vm-smoke');
    expect(healthy.exitCode, healthy.stderr.slice(-3000)).toBe(0);
    expect(healthy.stderr).toContain(`built ${drv}: lane deployer-vm-smoke passed`);
    const out = outputOf(healthy.stdout);
    const result = LaneResult.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result).toMatchObject({ lane: 'deployer-vm-smoke', status: 'passed' });
    expect(result.steps.map((s) => s.path.at(-1))).toContain('nix-agent activates it without guest-side compilation');
    expect(JSON.parse(readFileSync(join(out, 'check.json'), 'utf8'))).toMatchObject({
      check: 'deployer-vm-smoke',
      status: 'passed',
      runId: result.runId,
    });
    expect(existsSync(checkRegistrationPath)).toBe(false);

    const broken = await ucproofCheck('deployer-vm-smoke', { ULTRACLOUD_LAB_FAULTS: 'nix-agent:compile-on-guest' });
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toContain(`error: builder for '${drv}' failed with exit code 1`);
    expect(builderVerdict(broken.stderr, 'deployer-vm-smoke')).toContain(
      'check deployer-vm-smoke: lane deployer-vm-smoke failed at step "deployer-vm-smoke › nix-agent activates it without guest-side compilation": property "activated without guest-side compilation" broken',
    );
    expect(broken.stdout).toBe('');
    expect(existsSync(checkRegistrationPath)).toBe(false);
  });
});

describe('checks.x86_64-linux.portable-control-plane-regressions composes the five pieces', () => {
  it('passes on a healthy lab with every piece in its proof root; with nix-agent compile-on-guest it fails inside deployer-vm-smoke after the pieces before it passed', async () => {
    const healthy = await ucproofCheck('portable-control-plane-regressions');
    expect(healthy.exitCode, healthy.stderr.slice(-3000)).toBe(0);
    const out = outputOf(healthy.stdout);
    const result = LaneResult.parse(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')));
    expect(result).toMatchObject({ lane: 'portable-control-plane-regressions', status: 'passed' });
    const composed = [
      'canonical-profile-eval-guards',
      'deployer-bootstrap-e2e',
      'host-lifecycle-e2e',
      'deployer-vm-smoke',
      'fleet-scheduler-e2e',
      'supported-surface-guard',
    ];
    const pieces = result.steps.filter((s) => s.path.length === 1 && composed.includes(s.path[0] as string));
    expect(pieces.map((s) => [s.path[0], s.status])).toEqual(composed.map((c) => [c, 'passed']));
    for (const piece of composed) expect(existsSync(join(out, piece)), `${piece}/ in the proof root`).toBe(true);
    for (const guard of ['canonical-profile-eval-guards', 'supported-surface-guard']) {
      const link = join(out, 'checks', guard);
      expect(lstatSync(link).isSymbolicLink(), link).toBe(true);
      expect(readlinkSync(link)).toMatch(new RegExp(`^/nix/store/[a-z0-9]{32}-${guard}$`));
    }

    // a later piece broken: the aggregate runs the pieces before it and fails at the broken one
    const broken = await ucproofCheck('portable-control-plane-regressions', {
      ULTRACLOUD_LAB_FAULTS: 'nix-agent:compile-on-guest',
    });
    expect(broken.exitCode).toBe(1);
    // nix builds the derivation resolved against its inputs' outputs (a content-addressed derivation with inputs)
    expect(broken.stderr).toMatch(
      /error: builder for '\/nix\/store\/[a-z0-9]{32}-portable-control-plane-regressions\.drv' failed with exit code 1/,
    );
    const verdict = builderVerdict(broken.stderr, 'portable-control-plane-regressions');
    expect(verdict).toContain(
      'check portable-control-plane-regressions: lane portable-control-plane-regressions failed at step "portable-control-plane-regressions › deployer-vm-smoke › nix-agent activates it without guest-side compilation": property "activated without guest-side compilation" broken',
    );
    const proofRoot = verdict.find((l) => l.includes(': proof root '))?.split(': proof root ')[1] ?? '';
    const failed = LaneResult.parse(JSON.parse(readFileSync(join(proofRoot, 'result.json'), 'utf8')));
    const ran = failed.steps.filter((s) => s.path.length === 1 && composed.includes(s.path[0] as string));
    expect(ran.map((s) => [s.path[0], s.status])).toEqual([
      ['canonical-profile-eval-guards', 'passed'],
      ['deployer-bootstrap-e2e', 'passed'],
      ['host-lifecycle-e2e', 'passed'],
      ['deployer-vm-smoke', 'failed'],
    ]);
  });
});
