import type { NodeAgentPort } from '../../../contracts/ports/node-agent.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createNodeAgentPort(binding: PortBinding, node?: string): NodeAgentPort {
  const url = (path: string) => `${instanceUrl(binding, 'node-agent', node)}/api/v1${path}`;
  return {
    at: (n) => createNodeAgentPort(binding, n),
    instances: () => callJson('GET', url('/instances')),
    status: () => callJson('GET', url('/status')),
  };
}
