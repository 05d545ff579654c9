import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { serviceMain } from '../../cluster/fault-catalogue.ts';
import { NodeConsole } from '../../node/console.ts';
import { ServiceProcess } from '../../node/service-process.ts';
import { GuestConfig, type GuestServiceList, guestServiceListPath } from './guest-config.ts';

/**
 * Runs inside the quickstart VM (started by its /init): every service the booted system's node.json names, with
 * its state in the guest's own /var, listening on the guest's addresses; marker lines go to the serial console.
 * The product-surface manifest the system ships is installed as /etc/ultracloud/product-surface.json.
 * Usage: node guest-services.ts <guest.json> <hostname>
 */
const NodeJson = z.object({ hostname: z.string(), services: z.array(z.string()) });

function main(): void {
  const [configPath, host = 'nixos'] = process.argv.slice(2);
  if (!configPath) {
    process.stderr.write('usage: guest-services.ts <guest.json> <hostname>\n');
    process.exit(2);
  }
  const config = GuestConfig.parse(JSON.parse(readFileSync(configPath, 'utf8')));
  const system = NodeJson.parse(JSON.parse(readFileSync('/run/current-system/node.json', 'utf8')));
  const console = new NodeConsole('/dev/console');

  const manifest = JSON.parse(readFileSync('/run/current-system/etc/ultracloud/product-surface.json', 'utf8')) as {
    components?: string[];
  };
  if (config.faults.manifestExtra.length) {
    manifest.components = [...(manifest.components ?? []), ...config.faults.manifestExtra];
  }
  mkdirSync('/etc/ultracloud', { recursive: true });
  writeFileSync('/etc/ultracloud/product-surface.json', `${JSON.stringify(manifest, null, 2)}\n`);

  const nic = nicAddress();
  const running = system.services.filter((s) => !config.faults.omit.includes(s));
  const services: Record<string, { host: string; port: number; scheme: string }> = {};
  for (const s of running) services[s] = { host: '127.0.0.1', port: portOf(config, s), scheme: 'http' };
  const cluster = JSON.stringify({ nodes: [{ name: host, role: 'control-plane', address: '127.0.0.1', services }] });
  const procs: ServiceProcess[] = [];
  let ready = false;
  let launched = false;
  // the guest's own service list: what this supervisor runs and how far each is (written atomically)
  const writeServiceList = () => {
    if (!launched) return;
    const list: GuestServiceList = {
      services: procs.map((p) => {
        const { name, listen, state } = p.status();
        return { name, listen, state };
      }),
    };
    mkdirSync(dirname(guestServiceListPath), { recursive: true });
    writeFileSync(`${guestServiceListPath}.tmp`, `${JSON.stringify(list)}\n`);
    renameSync(`${guestServiceListPath}.tmp`, guestServiceListPath);
  };
  const checkReady = () => {
    writeServiceList();
    if (!ready && procs.every((p) => p.ready)) {
      ready = true;
      console.marker(`node.ready.${host}`);
    }
  };
  for (const s of running) {
    const listen = `${config.faults.nicOnly.includes(s) ? nic : '0.0.0.0'}:${portOf(config, s)}`;
    const stateDir = join('/var/lib/ultracloud', s);
    mkdirSync(stateDir, { recursive: true });
    mkdirSync('/var/log/ultracloud', { recursive: true });
    const proc = new ServiceProcess(
      {
        name: s,
        // fault stall: a process that runs and never listens nor says ready
        argv: config.faults.stall.includes(s)
          ? [process.execPath, '-e', 'setInterval(() => {}, 3_600_000)']
          : [process.execPath, serviceMain(s)],
        listen,
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: '/root',
          ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
          LANG: 'C.UTF-8',
          TMPDIR: '/var/tmp',
          UCP_SERVICE: s,
          UCP_NODE: host,
          UCP_LISTEN: listen,
          UCP_STATE_DIR: stateDir,
          UCP_CLUSTER: cluster,
        },
      },
      console,
      join('/var/log/ultracloud', `${s}.log`),
      checkReady,
    );
    procs.push(proc);
  }
  console.line('guest-services', `starting ${running.join(', ')}`);
  for (const p of procs) p.start();
  launched = true;
  writeServiceList();
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

function portOf(config: GuestConfig, service: string): number {
  const port = config.ports[service];
  if (!port) throw new Error(`guest.json names no port for ${service}`);
  return port;
}

/** the guest's address on its slirp NIC (10.0.2.15 by QEMU's default) */
function nicAddress(): string {
  return process.env.UCP_GUEST_NIC_ADDRESS ?? '10.0.2.15';
}

main();
