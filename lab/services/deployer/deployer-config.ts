import { readFileSync } from 'node:fs';
import { registerSecret } from '../../../helpers/redact.ts';

export interface DeployerConfig {
  /** the bootstrap token phone-home and bundle downloads must present; null when none is configured */
  bootstrapToken: string | null;
  /** lab mode: phone-home without a token (allow_unauthenticated=true) */
  allowUnauthenticated: boolean;
  /** a prebuilt flake bundle (tar.gz) served for every class that names none of its own */
  bundlePath: string | null;
}

/**
 * Deployer configuration from the environment:
 *   UCP_DEPLOYER_BOOTSTRAP_TOKEN or UCP_DEPLOYER_BOOTSTRAP_TOKEN_FILE   the bootstrap token (a secret: never logged)
 *   UCP_DEPLOYER_ALLOW_UNAUTHENTICATED=true|false                      lab-only unauthenticated phone-home
 *   UCP_DEPLOYER_BUNDLE                                                a prebuilt bundle tar.gz
 */
export function readDeployerConfig(env: NodeJS.ProcessEnv = process.env): DeployerConfig {
  let token = env.UCP_DEPLOYER_BOOTSTRAP_TOKEN?.trim() || null;
  const file = env.UCP_DEPLOYER_BOOTSTRAP_TOKEN_FILE;
  if (!token && file) {
    try {
      token = readFileSync(file, 'utf8').trim() || null;
    } catch (err) {
      throw new Error(
        `invalid deployer config: UCP_DEPLOYER_BOOTSTRAP_TOKEN_FILE ${file} unreadable (${(err as Error).message})`,
      );
    }
  }
  registerSecret(token);
  const raw = (env.UCP_DEPLOYER_ALLOW_UNAUTHENTICATED ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(raw)) {
    throw new Error(`invalid deployer config: UCP_DEPLOYER_ALLOW_UNAUTHENTICATED must be true or false, got "${raw}"`);
  }
  return {
    bootstrapToken: token,
    allowUnauthenticated: raw === 'true' || raw === '1',
    bundlePath: env.UCP_DEPLOYER_BUNDLE || null,
  };
}
