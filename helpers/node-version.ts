/**
 * The Node versions the suite runs on: TypeScript type stripping by default and `import.meta.main` (22.18 on the
 * 22 line, 24.2 on later lines). scripts/setup.sh installs the project's own Node 24.
 */
export const supportedNode = '22.18+ or 24.2+';

/** Why this Node cannot run the suite, as one line saying what to run instead, or undefined when it can. */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = (major === 22 && minor >= 18) || (major === 24 && minor >= 2) || major >= 25;
  if (ok) return undefined;
  return (
    `Node ${version} cannot run UltraCloud Proof (needs Node ${supportedNode}); ` +
    "run 'source scripts/setup.sh --env' first, or use 'npm run vitest --' / 'npm run ucproof --'"
  );
}
