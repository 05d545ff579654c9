import { labAddressRange } from '../cluster/lab-registry.ts';
import { ip, ipJson } from './ip.ts';

/**
 * The metric of the lab range's unreachable routes. A lab bridge's connected /24 wins over them by its longer
 * prefix whatever the metric; the high metric only makes a route the host itself has for exactly the same block
 * win over ours.
 */
export const labRangeMetric = 65_000;

/**
 * Make the whole lab address range unreachable from the host unless a live lab bridge claims a /24 of it: one
 * `unreachable <block> metric 65000` route per block of labAddressRange(). With a bridge up, its connected /24 is
 * the more specific route and wins; with the bridge gone (torn down, or never created) a packet for a lab address
 * hits the unreachable route (EHOSTUNREACH at once) instead of the default route, so lab traffic never leaves the
 * machine, even after a kill -9 of the controller and everything it started.
 *
 * The routes are installed before the first bridge is created and are never removed: they cover only space this
 * suite reserves for its labs, so leaving them installed costs nothing and a crashed controller or a lab booted
 * by another checkout can never be left unguarded. Idempotent (`ip route replace`).
 */
export async function guardLabRange(): Promise<void> {
  for (const block of labAddressRange()) {
    await ip('route', 'replace', 'unreachable', block, 'metric', String(labRangeMetric));
  }
}

/** The lab-range blocks that have an unreachable route on this host right now. */
export async function guardedLabBlocks(): Promise<string[]> {
  const routes = await ipJson<Array<{ type?: string; dst?: string; metric?: number }>>(
    'route',
    'show',
    'type',
    'unreachable',
  );
  const blocks = new Set(routes.map((r) => r.dst));
  return labAddressRange().filter((b) => blocks.has(b));
}
