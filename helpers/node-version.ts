import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../profiles/paths.ts';

/**
 * The Node versions the suite runs on: TypeScript type stripping by default and `import.meta.main` (22.18 on the
 * 22 line, 24.2 on later lines). scripts/setup.sh installs the project's own Node 24 under .toolchain/.
 */
export const supportedNode = '22.18+ or 24.2+';

export function nodeSupported(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 22 && minor >= 18) || (major === 24 && minor >= 2) || major >= 25;
}

/** Why this Node cannot run the suite, as one line saying what to run instead, or undefined when it can. */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  if (nodeSupported(version)) return undefined;
  return (
    `Node ${version} cannot run UltraCloud Proof (needs Node ${supportedNode}); ` +
    "run 'source scripts/setup.sh --env' first (it puts the project's Node on PATH), or run 'npm test'"
  );
}

/** The project's own Node: the newest supported .toolchain/node-<version>/bin/node scripts/setup.sh installed. */
export function toolchainNode(root: string = projectRoot): string | undefined {
  let names: string[];
  try {
    names = readdirSync(join(root, '.toolchain'));
  } catch {
    return undefined;
  }
  const versions = names
    .map((n) => /^node-(\d+\.\d+\.\d+)$/.exec(n)?.[1])
    .filter((v): v is string => v !== undefined && nodeSupported(v))
    .sort((a, b) => {
      const [x, y] = [a, b].map((v) => v.split('.').map(Number));
      return (x?.[0] ?? 0) - (y?.[0] ?? 0) || (x?.[1] ?? 0) - (y?.[1] ?? 0) || (x?.[2] ?? 0) - (y?.[2] ?? 0);
    });
  for (const v of versions.reverse()) {
    const bin = join(root, '.toolchain', `node-${v}`, 'bin', 'node');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

/**
 * The Node binary the harness starts its own processes with (lab controller, node supervisors, services, CLI
 * children), whatever PATH says: this process's own when it is supported, else the project's toolchain Node.
 */
export function projectNode(execPath: string = process.execPath, version: string = process.versions.node): string {
  if (nodeSupported(version)) return execPath;
  const own = toolchainNode();
  if (own) return own;
  throw new Error(unsupportedNode(version));
}
