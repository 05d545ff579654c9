import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface EtcdMemberConfig {
  name: string;
  address: string;
  stateDir: string;
  clusterToken: string;
}

export const etcdClientPort = 2379;
export const etcdPeerPort = 2380;
export const peerUrl = (address: string) => `http://${address}:${etcdPeerPort}`;
export const clientUrl = (address: string) => `http://${address}:${etcdClientPort}`;

/**
 * The node's etcd member (etcd-server 3.4): data under the service's state dir so it survives power loss,
 * stderr to etcd.log. `paused` is a SIGSTOP the learner fault uses.
 */
export class EtcdProcess {
  readonly config: EtcdMemberConfig;
  private child: ChildProcess | null = null;
  paused = false;
  onExit: (code: number | null) => void = () => undefined;

  constructor(config: EtcdMemberConfig) {
    this.config = config;
  }

  get dataDir(): string {
    return join(this.config.stateDir, 'etcd');
  }

  get hasData(): boolean {
    return existsSync(join(this.dataDir, 'member'));
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Start the member; initialCluster/state only matter for a member without data. */
  start(initialCluster: string, state: 'new' | 'existing'): void {
    if (this.child) return;
    const { name, address, clusterToken } = this.config;
    const log = openSync(join(this.config.stateDir, 'etcd.log'), 'a');
    const child = spawn(
      'etcd',
      [
        `--name=${name}`,
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${clientUrl(address)},http://127.0.0.1:${etcdClientPort}`,
        `--advertise-client-urls=${clientUrl(address)}`,
        `--listen-peer-urls=${peerUrl(address)}`,
        `--initial-advertise-peer-urls=${peerUrl(address)}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        `--initial-cluster-token=${clusterToken}`,
        '--heartbeat-interval=100',
        '--election-timeout=1000',
        '--logger=zap',
        '--log-outputs=stderr',
      ],
      { stdio: ['ignore', log, log] },
    );
    this.child = child;
    this.paused = false;
    child.once('exit', (code) => {
      this.child = null;
      this.paused = false;
      this.onExit(code);
    });
  }

  pause(): void {
    if (this.child && !this.paused) {
      this.child.kill('SIGSTOP');
      this.paused = true;
    }
  }

  resume(): void {
    if (this.child && this.paused) {
      this.child.kill('SIGCONT');
      this.paused = false;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.resume();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Move the data dir aside (kept for evidence) so the member can join afresh. */
  retireData(): void {
    if (existsSync(this.dataDir)) renameSync(this.dataDir, `${this.dataDir}.retired-${Date.now()}`);
  }
}
