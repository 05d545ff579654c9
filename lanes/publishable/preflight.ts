import { join } from 'node:path';
import { replaceSymlink, writeFileAtomic } from '../../helpers/atomic.ts';
import { captureEnvironment, formatEnvironment } from '../../helpers/environment.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { SuiteResult } from '../../profiles/result-schema.ts';

export type Preflight = { status: 'ready'; accelerator: string } | { status: 'blocked'; missing: string[] };

/**
 * The suite wrapper's preflight (the seed's run-publishable-kvm-suite): probe which accelerator really works and
 * record it for every lane (ULTRACLOUD_VM_ACCELERATOR_MODE). With ULTRACLOUD_REQUIRE_KVM=1 and no working KVM the
 * suite stops here with status blocked, leaving its proof root with result.json and environment.txt.
 */
export async function publishablePreflight(env: NodeJS.ProcessEnv, suiteRoot: string): Promise<Preflight> {
  const probe = await probeAccelerator(await probeGuestImage());
  env.ULTRACLOUD_VM_ACCELERATOR_MODE = probe.mode;
  env.ULTRACLOUD_VM_ACCELERATOR = probe.mode;
  process.stderr.write(`[proof] vm_accelerator_mode=${probe.mode} (${probe.reason})\n`);
  const requireKvm = env.ULTRACLOUD_REQUIRE_KVM === '1';
  if (!requireKvm || probe.mode === 'kvm') return { status: 'ready', accelerator: probe.mode };

  const missing = [`working KVM (/dev/kvm readable, writable and able to boot a guest): ${probe.reason}`];
  const environment = {
    ...(await captureEnvironment()),
    vm_accelerator_mode: probe.mode,
    kvm_probe: probe.reason,
    require_kvm: '1',
  };
  const now = new Date().toISOString();
  const result = SuiteResult.parse({
    schema: 'ultracloud-proof/suite-result@1',
    suite: env.ULTRACLOUD_SUITE_NAME ?? 'publishable-kvm-suite',
    runId: env.ULTRACLOUD_RUN_ID,
    success: false,
    status: 'blocked',
    startedAt: now,
    finishedAt: now,
    lanes: [],
    environment: { ...environment, missing_requirements: missing.join('; ') },
  });
  await writeFileAtomic(join(suiteRoot, 'environment.txt'), formatEnvironment(environment));
  await writeFileAtomic(join(suiteRoot, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFileAtomic(join(suiteRoot, 'missing-requirements.txt'), `${missing.join('\n')}\n`);
  await replaceSymlink(suiteRoot, join(suiteRoot, '..', 'latest'));
  return { status: 'blocked', missing };
}
