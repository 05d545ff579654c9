import { timingSafeEqual } from 'node:crypto';
import type { Request } from '../common/http-service.ts';
import { HttpError } from '../common/http-service.ts';
import type { DeployerConfig } from './deployer-config.ts';

/**
 * Phone-home and bundle downloads present the bootstrap token as `Authorization: Bearer <token>`.
 * `acceptAny` is the accept-any-token fault.
 */
export function requireBootstrapToken(req: Request, config: DeployerConfig, acceptAny: boolean): void {
  if (config.allowUnauthenticated) return;
  const presented = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!presented) throw new HttpError(401, 'bootstrap token required: Authorization: Bearer <token>');
  if (acceptAny) return;
  if (!config.bootstrapToken) throw new HttpError(401, 'no bootstrap token is configured on this deployer');
  const a = Buffer.from(presented);
  const b = Buffer.from(config.bootstrapToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpError(401, 'invalid bootstrap token');
}
