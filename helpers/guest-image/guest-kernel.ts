import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../../contracts/errors.ts';
import { projectRoot } from '../proof-root.ts';

export interface GuestKernel {
  /** bzImage the lab's QEMU guests boot */
  readonly vmlinuz: string;
  /** kernel release, e.g. 6.1.0-56-amd64 */
  readonly version: string;
  /** the release's module tree (…/modules/<version>) */
  readonly modulesDir: string;
}

/** The Debian kernel scripts/setup.sh extracts into .toolchain/guest-kernel (moved with ULTRACLOUD_GUEST_KERNEL_DIR). */
export function guestKernel(env: NodeJS.ProcessEnv = process.env): GuestKernel {
  const dir = env.ULTRACLOUD_GUEST_KERNEL_DIR || join(projectRoot, '.toolchain', 'guest-kernel');
  const vmlinuz = join(dir, 'vmlinuz');
  const versionFile = join(dir, 'version');
  if (!existsSync(vmlinuz) || !existsSync(versionFile)) {
    throw new HarnessError(`guest kernel not found at "${dir}" (vmlinuz, version): run "bash scripts/setup.sh" once`);
  }
  const version = readFileSync(versionFile, 'utf8').trim();
  const modulesDir = join(dir, 'modules', version);
  if (!existsSync(modulesDir)) throw new HarnessError(`guest kernel modules missing: "${modulesDir}"`);
  return { vmlinuz, version, modulesDir };
}

/** Where built guest images are cached, keyed by the content hash of their inputs. */
export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ULTRACLOUD_IMAGE_CACHE || join(projectRoot, '.toolchain', 'images');
}
