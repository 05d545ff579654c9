import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../../helpers/retry.ts';
import { dig } from './dig.ts';
import { renderZoneFile, type Zone } from './zones.ts';

/**
 * This service's own NSD: foreground (`nsd -d`) with its own config, pid file, zone directory and log, all in
 * the state directory. Record changes reload zone files (SIGHUP); a changed zone set restarts it.
 */
export class NsdServer {
  private child: ChildProcess | undefined;
  private readonly dir: string;
  private readonly zonesDir: string;
  readonly host: string;
  readonly port: number;
  private readonly nsAddress: string;
  private loadedZones = '';

  constructor(o: { stateDir: string; host: string; port: number; nsAddress: string }) {
    this.dir = join(o.stateDir, 'nsd');
    this.zonesDir = join(this.dir, 'zones');
    this.host = o.host;
    this.port = o.port;
    this.nsAddress = o.nsAddress;
    mkdirSync(this.zonesDir, { recursive: true });
  }

  /**
   * Write zone files (`broken`: files without SOA, so NSD cannot serve the zones authoritatively) and apply
   * them: SIGHUP when the zone set is unchanged, else a restart. Returns once the wire serves every zone's
   * serial; NSD skips a zone file whose timestamp looks unchanged, so a reload that does not show is followed
   * by a restart.
   */
  async apply(zones: Zone[], broken: boolean): Promise<void> {
    const names = zones.map((z) => z.name).sort();
    for (const f of readdirSync(this.zonesDir)) {
      if (!names.includes(f.replace(/\.zone$/, ''))) rmSync(join(this.zonesDir, f));
    }
    for (const z of zones)
      writeFileSync(join(this.zonesDir, `${z.name}.zone`), broken ? '' : renderZoneFile(z, this.nsAddress));
    const zoneSet = `${names.join(',')}|${broken}`;
    const reloaded = this.child !== undefined && zoneSet === this.loadedZones;
    if (reloaded) this.child?.kill('SIGHUP');
    else await this.restart(names);
    this.loadedZones = zoneSet;
    if (broken) return;
    try {
      for (const z of zones) await this.awaitSerial(z.name, z.serial, reloaded ? 1500 : 5000);
    } catch (err) {
      if (!reloaded) throw err;
      await this.restart(names);
      for (const z of zones) await this.awaitSerial(z.name, z.serial);
    }
  }

  private async restart(zones: string[]): Promise<void> {
    this.writeConfig(zones);
    await this.stop();
    await this.start();
  }

  /** wait until the wire answers the zone's SOA with this serial */
  private async awaitSerial(zone: string, serial: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const a = await dig(this.host, this.port, `${zone}.`, 'SOA', 1000).catch((e: Error) => ({
        status: e.message,
        answers: [],
      }));
      const served = a.answers.find((r) => r.type === 'SOA')?.value.split(' ')[2];
      if (served === String(serial)) return;
      last = `${a.status} serial ${served ?? '(none)'}`;
      await sleep(50);
    }
    throw new Error(`NSD did not serve ${zone} serial ${serial} within ${timeoutMs}ms (last: ${last})`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  private async start(): Promise<void> {
    this.reapStale();
    const log = createWriteStream(join(this.dir, 'nsd.out'), { flags: 'a' });
    const child = spawn('nsd', ['-d', '-c', join(this.dir, 'nsd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`nsd exited with ${child.exitCode}; see ${join(this.dir, 'nsd.log')}`);
      const ok = await dig(this.host, this.port, '.', 'SOA', 1000).then(
        () => true,
        () => false,
      );
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`nsd did not answer on ${this.host}:${this.port} within 10000ms; see ${join(this.dir, 'nsd.log')}`);
  }

  private writeConfig(zones: string[]): void {
    const q = (p: string) => `"${p}"`;
    const lines = [
      'server:',
      `  ip-address: ${this.host}`,
      `  port: ${this.port}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: ${q(this.zonesDir)}`,
      '  database: ""',
      `  pidfile: ${q(join(this.dir, 'nsd.pid'))}`,
      `  xfrdfile: ${q(join(this.dir, 'xfrd.state'))}`,
      `  xfrdir: ${q(join(this.dir, 'xfr'))}`,
      `  zonelistfile: ${q(join(this.dir, 'zone.list'))}`,
      `  logfile: ${q(join(this.dir, 'nsd.log'))}`,
      '  server-count: 1',
      '  hide-version: yes',
      'remote-control:',
      '  control-enable: no',
      ...zones.flatMap((z) => ['zone:', `  name: "${z}"`, `  zonefile: "${z}.zone"`]),
    ];
    writeFileSync(join(this.dir, 'nsd.conf'), `${lines.join('\n')}\n`);
  }

  /** NSD processes from an earlier run of this service (killed without shutdown) still hold the port: end them */
  private reapStale(): void {
    const config = join(this.dir, 'nsd.conf');
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.startsWith('nsd\0') && cmdline.includes(config)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}
