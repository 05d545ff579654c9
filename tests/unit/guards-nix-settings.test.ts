import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, localBuildArgs, localBuildSettings } from '../../guards/nix-build-settings.ts';
import { referenceFlake, selectFlake } from '../../guards/nix-command.ts';
import { runLane } from '../../harness/run-lane.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { canonicalProfileEvalGuards } from '../../lanes/guards/canonical-profile-eval-guards.ts';
import { defaultNixGuardTarget } from '../../lanes/guards/nix-guard-target.ts';

describe('local nix build settings', () => {
  it('derives max-jobs and cores from the CPU count', () => {
    expect(localBuildSettings({}, 2)).toMatchObject({ maxJobs: 1, cores: 2 });
    expect(localBuildSettings({}, 16)).toMatchObject({ maxJobs: 4, cores: 4, source: { maxJobs: 'cpu-count' } });
    expect(localBuildArgs(localBuildSettings({}, 16))).toEqual([
      '--option',
      'builders',
      '',
      '--max-jobs',
      '4',
      '--cores',
      '4',
    ]);
  });

  it('takes ULTRACLOUD_LOCAL_* over PHOTON_CLUSTER_* over the CPU count', () => {
    expect(
      localBuildSettings({ PHOTON_CLUSTER_NIX_MAX_JOBS: '3', PHOTON_CLUSTER_NIX_BUILD_CORES: '5' }, 16),
    ).toMatchObject({ maxJobs: 3, cores: 5, source: { maxJobs: 'PHOTON_CLUSTER_NIX_MAX_JOBS' } });
    expect(
      localBuildSettings({ ULTRACLOUD_LOCAL_NIX_MAX_JOBS: '2', PHOTON_CLUSTER_NIX_MAX_JOBS: '3' }, 16),
    ).toMatchObject({ maxJobs: 2, cores: 8, source: { maxJobs: 'ULTRACLOUD_LOCAL_NIX_MAX_JOBS' } });
  });

  it.each([
    ['ULTRACLOUD_LOCAL_NIX_MAX_JOBS', 'four'],
    ['ULTRACLOUD_LOCAL_NIX_BUILD_CORES', '2.5'],
    ['PHOTON_CLUSTER_NIX_MAX_JOBS', '0'],
    ['PHOTON_CLUSTER_NIX_BUILD_CORES', '-1'],
  ])('rejects %s=%s naming the variable', (variable, value) => {
    expect(() => localBuildSettings({ [variable]: value }, 4)).toThrow(InvalidEnvironmentError);
    expect(() => localBuildSettings({ [variable]: value }, 4)).toThrow(new RegExp(`^${variable}: `));
  });

  it('ucproof guard eval exits 2 naming a bad variable', async () => {
    const r = await execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'guard', 'eval'], {
      reject: false,
      env: { ULTRACLOUD_LOCAL_NIX_BUILD_CORES: '2.5' },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('ULTRACLOUD_LOCAL_NIX_BUILD_CORES: must be a positive integer, got "2.5"');
  });
});

describe('flake selection', () => {
  it('defaults to the reference flake (offline), else ULTRACLOUD_FLAKE, else --flake', () => {
    expect(selectFlake(undefined, {})).toEqual({ flake: referenceFlake, offline: true });
    expect(selectFlake(undefined, { ULTRACLOUD_FLAKE: '/src/ultracloud' })).toEqual({
      flake: '/src/ultracloud',
      offline: false,
    });
    expect(selectFlake('github:o/r', { ULTRACLOUD_FLAKE: '/src/ultracloud' }).flake).toBe('github:o/r');
    expect(selectFlake('lab', {}).flake).toBe(join(process.cwd(), 'lab'));
  });
});

describe('without nix on PATH', () => {
  const savedPath = process.env.PATH;
  let work: string | undefined;
  afterEach(async () => {
    process.env.PATH = savedPath;
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the CLI says nix is missing and exits 1', async () => {
    const r = await execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'guard', 'eval'], {
      reject: false,
      env: { PATH: '/nonexistent' },
      extendEnv: false,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('nix is not available on this host');
  });

  it('the eval-guards lane reports blocked naming nix', async () => {
    work = await mkdtemp(join(tmpdir(), 'ucp-guard-work-'));
    process.env.PATH = dirname(process.execPath);
    const result = await runLane(canonicalProfileEvalGuards, {
      target: defaultNixGuardTarget({}),
      targetName: 'reference-lab',
      runId: 'no-nix',
      workRoot: work,
      log: () => {},
    });
    expect(result.status).toBe('blocked');
    expect(result.missingRequirements).toEqual(['nix']);
  });
});
