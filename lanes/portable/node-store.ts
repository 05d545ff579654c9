import { z } from 'zod';
import type { NodeHandle } from '../../contracts/node-handle.ts';

const nixOptions = "--option build-users-group '' --option substituters ''";
const nixCommand = `nix --extra-experimental-features nix-command ${nixOptions}`;

/** one entry of `nix path-info --json`: a valid path carries narHash; `ultimate` marks a path built by that store */
export const PathInfo = z.object({
  path: z.string().startsWith('/nix/store/'),
  valid: z.boolean().optional(),
  narHash: z.string().optional(),
  deriver: z.string().optional(),
  ultimate: z.boolean().optional(),
  signatures: z.array(z.string()).optional(),
  /** a binary cache's entry: where its NAR is */
  url: z.string().optional(),
});
export type PathInfo = z.infer<typeof PathInfo>;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `nix path-info --json` of `paths`, read on the node from the store named by `store` (its own /nix store by
 * default, or a binary cache URL). A path the store does not hold comes back without narHash.
 */
export async function pathInfoOn(node: NodeHandle, paths: string[], store?: string): Promise<PathInfo[]> {
  const storeArg = store ? ` --store ${shellQuote(store)}` : '';
  const out = await node.succeed(
    `${nixCommand} path-info --json${storeArg} ${paths.map(shellQuote).join(' ')} 2>/dev/null || true`,
  );
  return z.array(PathInfo).parse(JSON.parse(out.trim() || '[]'));
}

/** the closure of `path` in the node's own store (`nix-store -qR`), empty when the path is not valid there */
export async function closureOn(node: NodeHandle, path: string): Promise<string[]> {
  const out = await node.succeed(`nix-store ${nixOptions} -qR ${shellQuote(path)} 2>/dev/null || true`);
  return out.split('\n').filter((l) => l.startsWith('/nix/store/'));
}

/** where the node's Nix store keeps the build log of a derivation: /nix/var/log/nix/drvs/<2>/<rest>[.bz2] */
const logPathsOf = (drv: string) => {
  const base = drv.slice('/nix/store/'.length);
  const path = `/nix/var/log/nix/drvs/${base.slice(0, 2)}/${base.slice(2)}`;
  return [path, `${path}.bz2`];
};

/** the build logs the node's Nix store holds of `derivations`: one for each of them built on the node */
export async function buildLogsOn(node: NodeHandle, derivations: string[]): Promise<string[]> {
  const paths = derivations.flatMap(logPathsOf);
  if (paths.length === 0) return [];
  const out = await node.succeed(
    `for f in ${paths.map(shellQuote).join(' ')}; do test -e "$f" && echo "$f"; done; true`,
  );
  return out.split('\n').filter(Boolean);
}

/** remove `paths` (those valid there) and the build logs of the derivations among them from the node's store */
export async function forgetOn(node: NodeHandle, paths: string[]): Promise<void> {
  const logs = paths.filter((p) => p.endsWith('.drv')).flatMap(logPathsOf);
  const quoted = paths.map(shellQuote).join(' ');
  await node.succeed(
    `for p in ${quoted}; do if nix-store ${nixOptions} --check-validity "$p" 2>/dev/null; then nix-store ${nixOptions} --delete "$p" 2>&1 | grep -v '^warning' || true; fi; done` +
      (logs.length ? `; rm -f ${logs.map(shellQuote).join(' ')}` : ''),
  );
  const left = (await pathInfoOn(node, paths)).filter((i) => i.narHash !== undefined);
  if (left.length) throw new Error(`could not remove ${left.map((i) => i.path).join(', ')} from ${node.name}'s store`);
}
