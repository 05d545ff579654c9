import { HarnessError } from '../contracts/errors.ts';
import { type MarkerPattern, type MarkerWaitResult, type WaitForMarkersOptions, waitForMarkers } from './markers.ts';
import type { QemuGuest } from './qemu-guest.ts';

/** A guest's QEMU ended while a marker was still awaited on its console. */
export class GuestExitedError extends HarnessError {
  readonly guest: string;
  readonly awaiting: readonly MarkerPattern[];
  constructor(guest: string, awaiting: readonly MarkerPattern[], how: string) {
    super(`QEMU for "${guest}" exited (${how}) while awaiting ${awaiting.map((m) => `"${m}"`).join(', ')}`);
    this.name = 'GuestExitedError';
    this.guest = guest;
    this.awaiting = awaiting;
  }
}

/**
 * Wait for markers on a guest's serial console, ending early when the guest's QEMU exits first: a crashed or
 * powered-off guest fails the wait at once instead of running into the timeout.
 */
export async function waitForGuestMarkers(
  guest: QemuGuest,
  sequence: readonly MarkerPattern[],
  options: WaitForMarkersOptions,
): Promise<MarkerWaitResult> {
  const stop = new AbortController();
  const onOuter = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuter, { once: true });
  const waiting = waitForMarkers(guest.serialLog, sequence, { label: guest.name, ...options, signal: stop.signal });
  const exited = guest.exited.then(async (exit) => {
    // a marker printed just before the exit is still heard: give the file follower a moment
    await new Promise((r) => setTimeout(r, 500));
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    throw new GuestExitedError(guest.name, sequence, how);
  });
  try {
    return await Promise.race([waiting, exited]);
  } finally {
    stop.abort(new HarnessError('marker wait finished'));
    options.signal?.removeEventListener('abort', onOuter);
    waiting.catch(() => {});
    exited.catch(() => {});
  }
}
