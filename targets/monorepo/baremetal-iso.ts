import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BaremetalTarget } from '../../contracts/baremetal-target.ts';
import { BlockedError } from '../../contracts/errors.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { offlineNixFlags } from '../../helpers/nix-flags.ts';

export const isoAttribute = 'nixosConfigurations.ultracloud-iso.config.system.build.isoImage';

/** Build the flake's own installer ISO offline; a flake that cannot build it blocks the lane, naming the attribute. */
export async function buildMonorepoIso(flake: string): Promise<string> {
  const res = await execa('nix', [...offlineNixFlags, 'build', '--no-link', '--json', `${flake}#${isoAttribute}`], {
    reject: false,
    timeout: Number(process.env.ULTRACLOUD_VM_BUILD_TIMEOUT_MS ?? 7_200_000),
    maxBuffer: 64 * 1024 * 1024,
  });
  // nix's error lines and the builder's own last words ("> ..."), which name what the build missed
  const why = `${res.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('error:') || l.startsWith('> '))
    .join(' ')
    .slice(0, 600);
  if (res.exitCode !== 0)
    throw new BlockedError([`${flake}#${isoAttribute} (nix build: ${why || `exit ${res.exitCode}`})`]);
  const out = (JSON.parse(res.stdout) as Array<{ outputs: { out: string } }>)[0]?.outputs.out ?? '';
  const isoDir = join(out, 'iso');
  const iso = existsSync(isoDir) ? readdirSync(isoDir).find((f) => f.endsWith('.iso')) : undefined;
  if (!iso) throw new BlockedError([`${flake}#${isoAttribute} built ${out}, which holds no iso/*.iso`]);
  return join(isoDir, iso);
}

/**
 * The monorepo's bare-metal target: its own `nixosConfigurations.ultracloud-iso` and `baremetal-qemu-*`
 * configurations, never the lab's installer. Booting the ISO against a deployer needs that deployer bound for
 * the installed nodes, which this suite cannot provide on the monorepo's behalf: the lane ends blocked, naming it.
 */
export function monorepoBaremetalTarget(flake: string): BaremetalTarget {
  return {
    name: `ultracloud-monorepo:${flake}`,
    probeGuest: probeGuestImage,
    async open() {
      const iso = await buildMonorepoIso(flake);
      throw new BlockedError([
        `a deployer the nodes booted from ${iso} can phone home to (the monorepo's deployer for ${flake}, bound for the bare-metal install)`,
      ]);
    },
  };
}
