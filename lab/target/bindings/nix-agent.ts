import type { NixAgentPort } from '../../../contracts/ports/nix-agent.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createNixAgentPort(binding: PortBinding, node?: string): NixAgentPort {
  const url = (path: string) => `${instanceUrl(binding, 'nix-agent', node)}/api/v1${path}`;
  const slow = { timeoutMs: 60_000 };
  return {
    at: (n) => createNixAgentPort(binding, n),
    status: () => callJson('GET', url('/status')),
    reconcile: () => callJson('POST', url('/reconcile'), slow),
    setDesiredSystem: (desired) => callJson('PUT', url('/desired-system'), { body: desired, ...slow }),
    clearDesiredSystem: () => callJson('DELETE', url('/desired-system'), slow),
  };
}
