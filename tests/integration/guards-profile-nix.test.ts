import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuildGuards } from '../../guards/canonical-profile-build.ts';
import { runEvalGuards } from '../../guards/canonical-profile-eval.ts';
import { selectFlake } from '../../guards/nix-command.ts';
import { runLane } from '../../harness/run-lane.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { canonicalProfileEvalGuards } from '../../lanes/guards/canonical-profile-eval-guards.ts';
import { evalGuardExpressions, toplevelOf } from '../../profiles/canonical-attributes.ts';
import { copyReferenceFlake, patchFile } from './fixtures/flake-copy.ts';

const ucproof = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'guard', ...args], { reject: false, env });

describe('profile guards against the reference flake', () => {
  const reference = selectFlake(undefined, {});

  it('evaluates every canonical entrypoint to a store path', async () => {
    const results = await runEvalGuards({ selection: reference });
    expect(results.map((r) => r.attribute)).toEqual(evalGuardExpressions());
    expect(results.filter((r) => !r.ok)).toEqual([]);
    for (const r of results.filter((r) => r.attribute.endsWith('.drvPath'))) {
      expect(r.value).toMatch(/^\/nix\/store\/[a-z0-9]{32}-[^/]+\.drv$/);
    }
  });

  it('builds the canonical outputs; a toplevel holds the node description', async () => {
    const results = await runBuildGuards({ selection: reference });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const node01 = results.find((r) => r.attribute === toplevelOf('node01'));
    const node = JSON.parse(await readFile(join(node01?.value ?? '', 'node.json'), 'utf8'));
    expect(node).toMatchObject({ hostname: 'node01', role: 'control-plane' });
    expect(node.services).toEqual(['chainfire', 'flaredb', 'iam', 'nix-agent', 'deployer', 'fleet-scheduler']);
  });
});

describe('profile guards against a broken copy of the reference flake', () => {
  let evalBroken: string;
  let buildBroken: string;
  beforeAll(async () => {
    evalBroken = await copyReferenceFlake();
    await patchFile(
      evalBroken,
      'nix/nodes.nix',
      'node02 = { role = "control-plane";',
      'node02 = { rol = "control-plane";',
    );
    buildBroken = await copyReferenceFlake();
    await patchFile(
      buildBroken,
      'nix/lib.nix',
      '[ "set -eu" "mkdir -p \\"$out\\"" ]',
      '[ "set -eu" "case $out in *-ultracloud-iso) echo iso-build-broken >&2; exit 1;; esac" "mkdir -p \\"$out\\"" ]',
    );
  });
  afterAll(async () => {
    await rm(evalBroken, { recursive: true, force: true });
    await rm(buildBroken, { recursive: true, force: true });
  });

  it('eval fails naming the broken attribute and only the attributes that depend on it', async () => {
    const results = await runEvalGuards({ selection: { flake: evalBroken, offline: true } });
    const failed = results.filter((r) => !r.ok).map((r) => r.attribute);
    expect(failed).toContain(`${toplevelOf('node02')}.drvPath`);
    expect(failed).toContain('checks.x86_64-linux.canonical-profile-eval-guards.drvPath');
    expect(failed).not.toContain(`${toplevelOf('node01')}.drvPath`);
    expect(failed).not.toContain('packages.x86_64-linux.single-node-trial-vm.drvPath');
    expect(results.find((r) => r.attribute === `${toplevelOf('node02')}.drvPath`)?.error).toMatch(
      /attribute 'role' missing/,
    );
  });

  it('ucproof guard eval exits 1 and prints the failing attribute', async () => {
    const r = await ucproof(['eval', '--flake', evalBroken], { ULTRACLOUD_NIX_OFFLINE: '1' });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FAIL nixosConfigurations\.node02\.config\.system\.build\.toplevel\.drvPath$/m);
    expect(r.stdout).toMatch(/^ok {3}nixosConfigurations\.node01\./m);
  });

  it('build fails naming the output whose builder fails', async () => {
    const results = await runBuildGuards({ selection: { flake: buildBroken, offline: true } });
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.attribute)).toEqual([toplevelOf('ultracloud-iso')]);
    expect(failed[0]?.error).toMatch(/nixos-system-ultracloud-iso\.drv' failed/);
  });

  it('ucproof guard build exits 1 on the broken copy and 0 on the reference flake', async () => {
    const broken = await ucproof(['build', '--flake', buildBroken], { ULTRACLOUD_NIX_OFFLINE: '1' });
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toContain('FAIL nixosConfigurations.ultracloud-iso.config.system.build.toplevel');
    expect((await ucproof(['build'])).exitCode).toBe(0);
  });

  it('the eval-guards lane fails on the broken copy naming the attribute', async () => {
    const work = await mkdtemp(join(tmpdir(), 'ucp-guard-work-'));
    try {
      const result = await runLane(canonicalProfileEvalGuards, {
        target: { selection: { flake: evalBroken, offline: true } },
        targetName: 'broken-reference-flake',
        runId: 'broken',
        workRoot: work,
        log: () => {},
      });
      expect(result.status).toBe('failed');
      expect(result.failure?.property).toBe('every canonical entrypoint evaluates');
      expect(result.failure?.message).toContain(`${toplevelOf('node02')}.drvPath: error:`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("the flake's supported-surface-guard check refuses an archived helper among a node's services", async () => {
    const copy = await copyReferenceFlake();
    try {
      await patchFile(copy, 'nix/nodes.nix', 'gateway = [ "apigateway"', 'gateway = [ "k8shost-cni" "apigateway"');
      const [guard, node06] = await runEvalGuards({
        selection: { flake: copy, offline: true },
        attributes: ['checks.x86_64-linux.supported-surface-guard.drvPath', `${toplevelOf('node06')}.drvPath`],
      });
      expect(guard?.ok).toBe(false);
      expect(guard?.error).toContain(
        'archived helpers in the default product surface: k8shost-cni (service of node06)',
      );
      expect(node06?.ok).toBe(true);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
