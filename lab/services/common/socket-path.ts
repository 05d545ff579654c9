import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The longest unix socket path used beside the state: sun_path is 108 bytes on Linux and 104 on others, and
 * HAProxy refuses more than 97 for its own sockets.
 */
const maxSocketPath = 90;

/**
 * A unix socket for a service's own use, beside its state when that path is short enough, otherwise in the
 * temporary folder (inside a lab node, the node's private /tmp) under a name derived from the state folder.
 */
export function serviceSocketPath(stateDir: string, name: string): string {
  const beside = join(stateDir, name);
  if (Buffer.byteLength(beside) <= maxSocketPath) return beside;
  const tag = createHash('sha256').update(stateDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `ucp-${tag}-${name}`);
}
