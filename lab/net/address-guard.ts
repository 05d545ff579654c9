import { HarnessError } from '../../contracts/errors.ts';
import { listLinks } from './ip.ts';

let cache: { at: number; prefixes: Set<string> } | undefined;

async function liveLabPrefixes(): Promise<Set<string>> {
  if (cache && Date.now() - cache.at < 2_000) return cache.prefixes;
  const prefixes = new Set<string>();
  for (const link of await listLinks()) {
    if (!link.ifname.startsWith('ucb-')) continue;
    for (const a of link.addr_info ?? []) {
      if (a.family === 'inet' && a.prefixlen === 24) prefixes.add(a.local.split('.').slice(0, 3).join('.'));
    }
  }
  cache = { at: Date.now(), prefixes };
  return prefixes;
}

/**
 * Lab traffic goes to loopback or to a node of a live lab bridge, never anywhere else: throws unless `address`
 * is 127.0.0.0/8 or inside the /24 of an up `ucb-*` bridge on this host.
 */
export async function assertLabAddress(address: string): Promise<void> {
  if (/^127\.\d+\.\d+\.\d+$/.test(address) || address === 'localhost') return;
  const m = /^(\d+\.\d+\.\d+)\.(\d+)$/.exec(address);
  if (m && (await liveLabPrefixes()).has(m[1] as string)) return;
  cache = undefined;
  if (m && (await liveLabPrefixes()).has(m[1] as string)) return;
  throw new HarnessError(
    `refusing to contact ${address}: it is neither loopback nor a node of a live lab bridge (ucb-*) on this host`,
  );
}
