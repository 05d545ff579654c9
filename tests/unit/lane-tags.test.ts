import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { laneTags } from '../../harness/define.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';

const vitest = join(projectRoot, 'node_modules/vitest/vitest.mjs');

/** `vitest list --tags-filter=EXPR --json` over the lane groups: the lanes it selects, sorted. */
async function lanesTagged(filter: string, workRoot?: string): Promise<string[]> {
  const projects = ['guards', 'quickstart', 'baremetal', 'portable', 'publishable'].flatMap((p) => ['--project', p]);
  const r = await execa(process.execPath, [vitest, 'list', ...projects, `--tags-filter=${filter}`, '--json'], {
    cwd: projectRoot,
    reject: false,
    env: {
      VITEST: '',
      VITEST_WORKER_ID: '',
      VITEST_POOL_ID: '',
      ...(workRoot ? { ULTRACLOUD_WORK_ROOT: workRoot } : {}),
    },
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ name: string }>).map((t) => t.name).sort();
}

describe('lane tags select lanes with --tags-filter, like the Kubernetes e2e labels', { timeout: 120_000 }, () => {
  it('declares kvm, vm, slow, disruptive and needs-root', () => {
    expect(Object.keys(laneTags).sort()).toEqual(['disruptive', 'kvm', 'needs-root', 'slow', 'vm']);
  });

  it('vm selects the lanes that boot QEMU guests, kvm only the one that requires KVM', async () => {
    expect(await lanesTagged('vm')).toEqual([
      'baremetal-iso',
      'baremetal-iso-e2e',
      'fresh-demo-vm-webapp',
      'single-node-quickstart',
      'single-node-trial',
    ]);
    expect(await lanesTagged('kvm')).toEqual(['baremetal-iso-e2e']);
  });

  it('an expression combines them, and listing boots no cluster', async () => {
    const work = await workTempDir('lane-tags-');
    expect(await lanesTagged('disruptive && !vm && !needs-root', work)).toEqual([]);
    expect(await lanesTagged('needs-root && !disruptive', work)).toEqual([
      'deployer-bootstrap-e2e',
      'deployer-vm-smoke',
      'fresh-demo-vm-webapp',
      'fresh-matrix',
    ]);
    // a booted lab leaves its state under <work root>/lab; listing only collects
    expect(existsSync(join(work, 'lab')), 'vitest list booted a lab').toBe(false);
    await rm(work, { recursive: true, force: true });
  });
});
