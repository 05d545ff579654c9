import { join } from 'node:path';
import { z } from 'zod';
import { JsonStore } from '../common/json-store.ts';

const Route = z.object({
  /** path prefix, e.g. /api/credit/ (stripped before proxying) */
  prefix: z.string().regex(/^\/[^\s]*\/$/, 'a prefix starts and ends with "/"'),
  /** the lab service the prefix is routed to */
  service: z.string().min(1),
});
export const GatewayConfig = z.object({
  routes: z.array(Route).min(1),
  apiKeys: z.array(z.string().min(16, 'API keys are at least 16 characters')),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayRoute = z.infer<typeof Route>;

export const defaultConfig: GatewayConfig = {
  routes: [
    { prefix: '/api/credit/', service: 'creditservice' },
    { prefix: '/api/storage/', service: 'lightningstor' },
    { prefix: '/api/metrics/', service: 'nightlight' },
    { prefix: '/api/k8s/', service: 'k8shost' },
  ],
  apiKeys: [],
};

/**
 * The gateway's configuration: written to disk by PUT /_gateway/config, read once at start. Rollout is
 * restart-based: a written configuration is pending until the process restarts.
 */
export class GatewayConfigFile {
  readonly active: GatewayConfig;
  private readonly store: JsonStore<GatewayConfig>;

  constructor(stateDir: string) {
    this.store = new JsonStore(join(stateDir, 'gateway.json'), () => defaultConfig);
    this.active = GatewayConfig.parse(this.store.get());
  }

  write(next: GatewayConfig): void {
    this.store.update((draft) => {
      draft.routes = next.routes;
      draft.apiKeys = next.apiKeys;
    });
  }

  pending(): boolean {
    return JSON.stringify(this.store.get()) !== JSON.stringify(this.active);
  }
}
