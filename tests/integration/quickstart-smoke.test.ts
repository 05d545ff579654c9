import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { referenceFlake } from '../../guards/nix-command.ts';
import { runLane } from '../../harness/run-lane.ts';
import { offlineNixFlags } from '../../helpers/nix-flags.ts';
import { workTempDir } from '../../helpers/proof-root.ts';
import { quickstartSmoke } from '../../lanes/quickstart/quickstart-smoke.ts';
import { patchFile } from './fixtures/flake-copy.ts';

// The smoke lane against copies of the reference flake, each broken in one named way: the lane fails at the step
// and property the break falsifies.
const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function smoke(rel: string, from: string, to: string) {
  const root = await workTempDir('quickstart-smoke-');
  roots.push(root);
  const flake = join(root, 'flake');
  for (const entry of ['flake.nix', 'nix'])
    await cp(join(referenceFlake, entry), join(flake, entry), { recursive: true });
  await patchFile(flake, rel, from, to);
  return runLane(quickstartSmoke, {
    target: { selection: { flake: `path:${flake}`, offline: true } },
    targetName: 'broken-flake',
    workRoot: join(root, 'work'),
    log: () => {},
  });
}

describe("the reference flake's quickstart apps", { timeout: 120_000 }, () => {
  test.each([
    ['single-node-quickstart', 'proof --suite single-node-quickstart --lane single-node-quickstart'],
    ['single-node-trial', 'proof --suite single-node-trial --lane single-node-trial'],
  ])('nix run .#%s runs the lane of that name through ucproof', async (app, command) => {
    const root = await workTempDir('quickstart-app-');
    roots.push(root);
    const cli = join(root, 'fake-ucproof');
    await writeFile(cli, '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const r = await execa('nix', [...offlineNixFlags, 'run', `${referenceFlake}#${app}`], {
      env: { ULTRACLOUD_PROOF_CLI: cli },
      reject: false,
      stdin: 'ignore',
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(command);
  });
});

describe('quickstart-smoke on a broken flake', { timeout: 120_000 }, () => {
  test('fails when the flake has no single-node-trial app', async () => {
    const r = await smoke('flake.nix', 'single-node-trial = app trial "single-node-trial";', '');
    expect(r.status).toBe('failed');
    expect(r.failure?.stepPath.at(-1)).toMatch(/^the flake shows the quickstart/);
    expect(r.failure?.property).toBe('the flake shows apps.x86_64-linux.single-node-trial');
  });

  test('fails when an OCI image is among the packages', async () => {
    const r = await smoke(
      'flake.nix',
      'default = trialVm;',
      'default = trialVm;\n        single-node-trial-oci = trialVm;',
    );
    expect(r.status).toBe('failed');
    expect(r.failure?.property).toBe('no OCI or Docker image is a package or app of the flake');
    expect(r.failure?.message).toContain('packages.x86_64-linux.single-node-trial-oci');
  });

  test('fails when the trial surface runs the rollout stack', async () => {
    const r = await smoke(
      'nix/nodes.nix',
      'single-node-quickstart = { role = "control-plane"; profile = "single-node"; services = singleNodeCore;',
      'single-node-quickstart = { role = "control-plane"; profile = "single-node"; services = singleNodeCore ++ [ "node-agent" ];',
    );
    expect(r.status).toBe('failed');
    expect(r.failure?.stepPath.at(-1)).toMatch(/^nix build \.#single-node-trial-vm/);
    expect(r.failure?.property).toBe('the trial surface does not run node-agent');
  });

  test('fails when the trial VM carries another system than the quickstart configuration', async () => {
    const r = await smoke(
      'flake.nix',
      'links.system = toplevel "single-node-quickstart";',
      'links.system = toplevel "netboot-all-in-one";',
    );
    expect(r.status).toBe('failed');
    expect(r.failure?.property).toBe(
      "the trial VM's closure holds the nixosConfigurations.single-node-quickstart system",
    );
  });
});
