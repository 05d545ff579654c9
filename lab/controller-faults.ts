import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../helpers/atomic.ts';
import { serviceNames } from '../profiles/descriptor-schema.ts';
import { loadFaultCatalogue } from './cluster/fault-catalogue.ts';
import type { FaultSetting } from './cluster/lab-spec.ts';
import { ApiError } from './controller-api.ts';
import type { NodeConfig } from './node/node-config.ts';
import { nodePaths } from './node/node-config.ts';

/** The per-node, per-service fault files (UCP_FAULTS_FILE) the services read on every request. */
export class ControllerFaults {
  private readonly nodes: NodeConfig[];
  private queue: Promise<void> = Promise.resolve();

  constructor(nodes: NodeConfig[]) {
    this.nodes = nodes;
  }

  fileOf(node: NodeConfig, service: string): string {
    return join(nodePaths(node.nodeDir).faults, `${service}.json`);
  }

  private targets(service: string, node?: string): NodeConfig[] {
    const runners = this.nodes.filter((n) => n.services.some((s) => s.name === service));
    if (runners.length === 0) throw new ApiError(400, `no lab node runs service "${service}"`);
    if (!node) return runners;
    const one = runners.filter((n) => n.node === node);
    if (one.length === 0) throw new ApiError(400, `node "${node}" does not run service "${service}"`);
    return one;
  }

  async set(f: FaultSetting): Promise<void> {
    if (!(serviceNames as readonly string[]).includes(f.service))
      throw new ApiError(400, `unknown service "${f.service}"`);
    const catalogue = await loadFaultCatalogue(f.service);
    if (!Object.hasOwn(catalogue, f.fault)) {
      const known = Object.keys(catalogue).join(', ') || '(none)';
      throw new ApiError(400, `unknown fault "${f.fault}" for service "${f.service}"; known: ${known}`);
    }
    for (const n of this.targets(f.service, f.node)) await this.update(n, f.service, (m) => (m[f.fault] = true));
  }

  async clear(f: { service: string; fault?: string; node?: string }): Promise<void> {
    for (const n of this.targets(f.service, f.node)) {
      await this.update(n, f.service, (m) => {
        if (f.fault) delete m[f.fault];
        else for (const k of Object.keys(m)) delete m[k];
      });
    }
  }

  active(): string[] {
    const out: string[] = [];
    for (const n of this.nodes) {
      for (const s of n.services) {
        for (const [fault, on] of Object.entries(this.read(n, s.name)))
          if (on) out.push(`${s.name}:${fault}@${n.node}`);
      }
    }
    return out.sort();
  }

  private read(node: NodeConfig, service: string): Record<string, boolean> {
    try {
      return JSON.parse(readFileSync(this.fileOf(node, service), 'utf8')) as Record<string, boolean>;
    } catch {
      return {};
    }
  }

  /** read-modify-write of one faults file; updates are serialized so concurrent requests never lose a switch */
  private update(node: NodeConfig, service: string, mutate: (m: Record<string, boolean>) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const m = this.read(node, service);
      mutate(m);
      await writeFileAtomic(this.fileOf(node, service), JSON.stringify(m));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
