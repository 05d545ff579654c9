import { allowDestinations, assertDestination } from '../../helpers/destination-guard.ts';
import { listLinks } from './ip.ts';

let cache: { at: number; prefixes: Set<string> } | undefined;

async function liveLabPrefixes(fresh: boolean): Promise<Set<string>> {
  if (!fresh && cache && Date.now() - cache.at < 2_000) return cache.prefixes;
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

/** True when `address` is inside the /24 of an up `ucb-*` lab bridge on this host (re-read once before saying no). */
export async function onLiveLabBridge(address: string): Promise<boolean> {
  const m = /^(\d+\.\d+\.\d+)\.(\d+)$/.exec(address);
  if (!m) return false;
  if ((await liveLabPrefixes(false)).has(m[1] as string)) return true;
  return (await liveLabPrefixes(true)).has(m[1] as string);
}

let registered = false;

/** Let this process's clients reach live lab nodes (and nothing else beyond loopback). Idempotent. */
export function allowLabDestinations(): void {
  if (registered) return;
  registered = true;
  allowDestinations(onLiveLabBridge);
}

/** Throws unless `address` is loopback or a node of a live lab bridge on this host. */
export async function assertLabAddress(address: string): Promise<void> {
  allowLabDestinations();
  await assertDestination(address);
}
