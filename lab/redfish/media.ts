import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RedfishFault } from './redfish-reply.ts';

/** The lab BMC reaches only loopback image servers (the lab never sends traffic anywhere else). */
function assertLoopback(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback) {
    throw new RedfishFault(
      400,
      'ResourceAtUriUnauthorized',
      `image server ${url.host} is not reachable from the lab BMC`,
    );
  }
}

/**
 * Fetch an InsertMedia image (http or https URL) into the BMC's media cache, the way a BMC mounts remote media.
 * Unreachable or failing image servers are refused with a Redfish error naming the URL and the cause.
 */
export async function fetchMedia(image: unknown, dir: string, timeoutMs = 120_000): Promise<string> {
  if (typeof image !== 'string' || !image) {
    throw new RedfishFault(400, 'PropertyMissing', 'the property Image is a required property for InsertMedia');
  }
  let url: URL;
  try {
    url = new URL(image);
  } catch {
    throw new RedfishFault(400, 'PropertyValueFormatError', `the value "${image}" for Image is not a URI`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RedfishFault(
      400,
      'PropertyValueNotInList',
      `transfer protocol ${url.protocol} is not supported (HTTP, HTTPS)`,
    );
  }
  assertLoopback(url);
  await mkdir(dir, { recursive: true });
  const dest = join(dir, `media-${Date.now()}.img`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    await pipeline(Readable.fromWeb(res.body), createWriteStream(`${dest}.part`));
    await rename(`${dest}.part`, dest);
    return dest;
  } catch (err) {
    await rm(`${dest}.part`, { force: true });
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new RedfishFault(400, 'ResourceAtUriUnauthorized', `cannot fetch image ${image}: ${cause}`);
  }
}
