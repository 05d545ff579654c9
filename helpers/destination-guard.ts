import { HarnessError } from '../contracts/errors.ts';

/**
 * Every connection the harness opens (HTTP, SSH, raw sockets) is checked here first. Loopback is always allowed;
 * anything else only when a target that this run created vouches for it right now (the reference lab registers a
 * check against its live bridges). With no such check, every non-loopback address is refused.
 */
export type DestinationCheck = (address: string) => Promise<boolean> | boolean;

const checks = new Set<DestinationCheck>();

export function allowDestinations(check: DestinationCheck): () => void {
  checks.add(check);
  return () => checks.delete(check);
}

export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === 'localhost' || address === '::1';
}

export async function assertDestination(address: string): Promise<void> {
  if (isLoopback(address)) return;
  for (const check of checks) if (await check(address)) return;
  throw new HarnessError(
    `refusing to contact ${address}: it is not loopback and no target of this run vouches for it ` +
      '(a lab address is allowed only while its lab bridge is up on this host)',
  );
}
