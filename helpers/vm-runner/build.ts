import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../../contracts/errors.ts';
import { offlineNixFlags } from '../nix-flags.ts';

/**
 * Build each node's `…config.system.build.vm` installable in one offline `nix build` and return the path of its
 * `bin/run-<node>-vm`, in the order given.
 */
export async function buildVmRunners(
  nodes: ReadonlyArray<{ name: string; attribute: string }>,
  timeoutMs = Number(process.env.ULTRACLOUD_VM_BUILD_TIMEOUT_MS ?? 7_200_000),
): Promise<string[]> {
  const attrs = nodes.map((n) => n.attribute);
  const res = await execa('nix', [...offlineNixFlags, 'build', '--no-link', '--json', ...attrs], {
    reject: false,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.exitCode !== 0) {
    const detail = `${res.stderr}`
      .split('\n')
      .filter((l) => !l.startsWith('warning:'))
      .join('\n')
      .trim()
      .slice(-2000);
    const how = res.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${res.exitCode}`;
    throw new HarnessError(`nix build of the VM runners (${attrs.join(' ')}) failed (${how}): ${detail}`);
  }
  const built = JSON.parse(res.stdout) as Array<{ outputs: { out: string } }>;
  return nodes.map((n, i) => {
    const out = built[i]?.outputs.out;
    const runner = out ? join(out, 'bin', `run-${n.name}-vm`) : '';
    if (!out || !existsSync(runner)) {
      throw new HarnessError(`${n.attribute} built "${out ?? '(nothing)'}", which has no bin/run-${n.name}-vm`);
    }
    return runner;
  });
}
