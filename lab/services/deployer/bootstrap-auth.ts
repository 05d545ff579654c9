import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from '../common/http-service.ts';
import { HttpError } from '../common/http-service.ts';
import type { DeployerConfig } from './deployer-config.ts';
import type { IssuedToken } from './deployer-state.ts';

/**
 * Phone-home and bundle downloads present the bootstrap token as `Authorization: Bearer <token>`.
 * `acceptAny` is the accept-any-token fault.
 */
export function requireBootstrapToken(
  req: Request,
  config: DeployerConfig,
  issued: IssuedToken[],
  acceptAny: boolean,
): void {
  if (config.allowUnauthenticated) return;
  const presented = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!presented) throw new HttpError(401, 'bootstrap token required: Authorization: Bearer <token>');
  if (acceptAny) return;
  const digest = sha256(presented);
  const known = [...(config.bootstrapToken ? [sha256(config.bootstrapToken)] : []), ...issued.map((t) => t.sha256)];
  if (known.length === 0) throw new HttpError(401, 'no bootstrap token is configured or issued on this deployer');
  const match = known.some((k) => timingSafeEqual(Buffer.from(k, 'hex'), Buffer.from(digest, 'hex')));
  if (!match) throw new HttpError(401, 'invalid bootstrap token');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
