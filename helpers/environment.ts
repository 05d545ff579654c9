import { cpus, freemem, release, totalmem } from 'node:os';
import { execa } from 'execa';

const toolVersionCommands: Record<string, [string, string[]]> = {
  qemu: ['qemu-system-x86_64', ['--version']],
  nix: ['nix', ['--version']],
  etcd: ['etcd', ['--version']],
  dropbear: ['dropbear', ['-V']],
};

let cached: Promise<Record<string, string>> | undefined;

/** Host facts for environment.txt. Lanes add their own (execution_model, vm_accelerator_mode, ...). */
export function captureEnvironment(): Promise<Record<string, string>> {
  cached ??= (async () => {
    const facts: Record<string, string> = {
      execution_model: process.env.ULTRACLOUD_EXECUTION_MODEL ?? 'vitest-lane',
      vm_accelerator_mode: process.env.ULTRACLOUD_VM_ACCELERATOR_MODE ?? 'none',
      kernel: release(),
      cpu_count: String(cpus().length),
      cpu_model: cpus()[0]?.model ?? 'unknown',
      memory_total_mib: String(Math.round(totalmem() / 2 ** 20)),
      memory_free_mib: String(Math.round(freemem() / 2 ** 20)),
      node_version: process.version,
      target: process.env.ULTRACLOUD_FLAKE ? `ultracloud-monorepo:${process.env.ULTRACLOUD_FLAKE}` : 'reference-lab',
      kvm_device: 'unknown',
    };
    try {
      const { access, constants } = await import('node:fs/promises');
      await access('/dev/kvm', constants.R_OK | constants.W_OK);
      facts.kvm_device = 'present';
    } catch {
      facts.kvm_device = 'absent';
    }
    await Promise.all(
      Object.entries(toolVersionCommands).map(async ([name, [cmd, args]]) => {
        const res = await execa(cmd, args, { reject: false, timeout: 5_000, all: true });
        const first = (res.all ?? '').split('\n').find((l) => l.trim()) ?? '';
        facts[`${name}_version`] = res.exitCode === 0 || first ? first.trim() : 'not installed';
        if (res.failed && res.code === 'ENOENT') facts[`${name}_version`] = 'not installed';
      }),
    );
    return facts;
  })();
  return cached.then((f) => ({ ...f }));
}

export function formatEnvironment(facts: Record<string, string>): string {
  return `${Object.keys(facts)
    .sort()
    .map((k) => `${k}=${facts[k]}`)
    .join('\n')}\n`;
}
