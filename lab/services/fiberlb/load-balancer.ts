import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonStore } from '../common/json-store.ts';
import { serviceSocketPath } from '../common/socket-path.ts';
import { generateCertificate } from './certificates.ts';
import { renderHaproxyConfig } from './haproxy-config.ts';
import { HaproxyProcess } from './haproxy-process.ts';
import type { Certificate, LbState } from './lb-model.ts';

export interface ActiveFaults {
  wrongCertificate: boolean;
  drainIgnored: boolean;
  healthCheckBlind: boolean;
  terminatedHttpsAsHttps: boolean;
}

/**
 * The balancer: desired state in a JsonStore, rendered to haproxy.cfg and applied with a validated reload.
 * Changes are serialized, so concurrent API calls never interleave renders and reloads.
 */
export class LoadBalancer {
  readonly state: JsonStore<LbState>;
  readonly certDir: string;
  readonly haproxy: HaproxyProcess;
  private readonly dir: string;
  private readonly bindHost: string;
  private wrongCertificate: Certificate | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string, bindHost: string) {
    this.dir = stateDir;
    this.bindHost = bindHost;
    this.certDir = join(stateDir, 'certs');
    mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
    this.state = new JsonStore<LbState>(join(stateDir, 'lb.json'), () => ({
      certificates: {},
      pools: {},
      listeners: {},
    }));
    this.haproxy = new HaproxyProcess({
      configPath: join(stateDir, 'haproxy.cfg'),
      pidPath: join(stateDir, 'haproxy.pid'),
      socketPath: serviceSocketPath(stateDir, 'haproxy.sock'),
      logPath: join(stateDir, 'haproxy.log'),
    });
  }

  async start(faults: ActiveFaults): Promise<void> {
    this.wrongCertificate = await generateCertificate(this.certDir, 'wrong-name', 'wrong.fiberlb.invalid');
    this.render(faults);
    await this.haproxy.start();
  }

  /** change the desired state, then render and reload; a rejected config leaves the old one running */
  change<T>(faults: ActiveFaults, mutate: (draft: LbState) => T | Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      const draft = structuredClone(this.state.get());
      const result = await mutate(draft);
      const previous = this.state.get();
      this.state.update((s) => Object.assign(s, draft));
      try {
        this.render(faults);
        await this.haproxy.reload();
      } catch (err) {
        this.state.update((s) => Object.assign(s, previous));
        this.render(faults);
        throw err;
      }
      return result;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private render(faults: ActiveFaults): void {
    if (!this.wrongCertificate) throw new Error('load balancer not started');
    const cfg = renderHaproxyConfig(this.state.get(), {
      bindHost: this.bindHost,
      statsSocket: this.haproxy.socketPath,
      wrongCertificate: this.wrongCertificate,
      faults,
    });
    writeFileSync(join(this.dir, 'haproxy.cfg'), cfg);
  }
}
