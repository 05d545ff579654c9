import { readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { BinaryCacheRequest } from '../../../contracts/ports/deployer.ts';
import { HttpError, reply } from '../common/http-service.ts';

/** how a narinfo's signatures are served: as signed, none (unsigned-narinfo), or under another key's name */
export type SignatureMode = 'as-signed' | 'strip' | 'foreign';

/**
 * The lab's binary cache as the deployer serves it: the files of a Nix file binary cache (nix-cache-info,
 * <hash>.narinfo, nar/...) under /cache/, every request logged. The unsigned-narinfo fault serves each narinfo
 * without its Sig lines, foreign-signed-narinfo with its signatures under a key name nodes do not trust.
 */
export class BinaryCacheServer {
  /** every request the cache answered (GET /api/v1/admin/binary-cache/requests) */
  readonly requests: BinaryCacheRequest[] = [];
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  serve(
    file: string,
    req: { method: string; remoteAddress: string | null; headers: Record<string, unknown> },
    signatures: SignatureMode,
  ) {
    const path = normalize(file);
    const log = (status: number) =>
      this.requests.push({
        method: req.method,
        path: `/${path}`,
        status,
        remote_address: req.remoteAddress,
        user_agent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
        at: new Date().toISOString(),
      });
    if (
      path.startsWith('..') ||
      path.startsWith('/') ||
      !/^(nix-cache-info|[a-z0-9]{32}\.narinfo|nar\/[a-z0-9]+\.nar(\.xz)?)$/.test(path)
    ) {
      log(404);
      throw new HttpError(404, `no cache file "${file}"`);
    }
    const full = join(this.dir, path);
    let body: Buffer;
    try {
      if (!statSync(full).isFile()) throw new Error('not a file');
      body = readFileSync(full);
    } catch {
      log(404);
      throw new HttpError(404, `no cache file "${file}"`);
    }
    if (signatures !== 'as-signed' && path.endsWith('.narinfo')) {
      const lines = body.toString('utf8').split('\n');
      body = Buffer.from(
        (signatures === 'strip'
          ? lines.filter((l) => !l.startsWith('Sig: '))
          : lines.map((l) => l.replace(/^Sig: [^:]+:/, 'Sig: ucproof-foreign-key-1:'))
        ).join('\n'),
      );
    }
    log(200);
    const type =
      path.endsWith('.narinfo') || path === 'nix-cache-info' ? 'text/x-nix-narinfo' : 'application/x-nix-nar';
    return reply({ body: req.method === 'HEAD' ? '' : body, headers: { 'content-type': type } });
  }
}
