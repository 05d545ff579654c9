import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { NodeConsole } from './console.ts';
import { startControlServer } from './control-server.ts';
import { dropbearService, ensureHostKey, prepareRootHome } from './dropbear.ts';
import { nodePaths, readNodeConfig } from './node-config.ts';
import { ServiceProcess } from './service-process.ts';

/**
 * PID 1 of a lab node (inside its own network, PID, mount and UTS namespaces): names the host, gives it its own
 * /root, /etc/hosts and /tmp (the node's tmpDir under the lab's state, so nothing a node writes to /tmp, services
 * and SSH commands alike, lands in the host's /tmp), writes the console, starts sshd and the node's services, restarts one on request, and on
 * SIGTERM stops them in reverse order. Usage: node lab/node/supervisor.ts <node.json>
 */
const configPath = process.argv[2];
if (!configPath) {
  process.stderr.write('usage: supervisor.ts <node.json>\n');
  process.exit(2);
}
const config = readNodeConfig(configPath);
const paths = nodePaths(config.nodeDir);
for (const dir of [paths.logs, paths.state, paths.faults, paths.root]) mkdirSync(dir, { recursive: true });
const console = new NodeConsole(paths.console);

const boot = Number(safeRead(paths.bootCount) ?? '0') + 1;
writeFileSync(paths.bootCount, String(boot));
console.marker(`node.boot.${config.node}`, `boot=${boot}`);

execFileSync('hostname', [config.node]);
ensureHostKey(config.hostKey);
prepareRootHome(paths.root, config.authorizedKey);
execFileSync('mount', ['--bind', paths.root, '/root']);
execFileSync('mount', ['--bind', config.hostsFile, '/etc/hosts']);
mkdirSync(config.tmpDir, { recursive: true });
chmodSync(config.tmpDir, 0o1777);
execFileSync('mount', ['--bind', config.tmpDir, '/tmp']);
process.env.TMPDIR = '/tmp';
if (config.nixDir) {
  // the node's own Nix store: the host's /nix/store is not visible here, a closure arrives by substitution
  mkdirSync(config.nixDir, { recursive: true });
  execFileSync('mount', ['--bind', config.nixDir, '/nix']);
}
console.line('supervisor', `hostname ${config.node}, address ${config.address}, role ${config.role}`);

let nodeReady = false;
const checkReady = () => {
  if (!nodeReady && services.every((s) => s.ready)) {
    nodeReady = true;
    console.marker(`node.ready.${config.node}`, `boot=${boot}`);
  }
};
const sshd = new ServiceProcess(
  dropbearService(config.address, config.hostKey, config.nodeDir),
  console,
  join(paths.logs, 'sshd.log'),
  checkReady,
  probePort,
);
const services = [
  sshd,
  ...config.services.map((s) => {
    mkdirSync(s.env.UCP_STATE_DIR ?? join(paths.state, s.name), { recursive: true });
    return new ServiceProcess(s, console, join(paths.logs, `${s.name}.log`), checkReady);
  }),
];

for (const s of services) s.start();

let stopping: Promise<void> | null = null;
const shutdown = () => {
  stopping ??= (async () => {
    console.line('supervisor', 'shutting down');
    for (const s of [...services].reverse()) {
      await s.stop();
      console.marker(`service.${s.config.name}.stopped`);
    }
    console.marker(`node.shutdown.${config.node}`, `boot=${boot}`);
    process.exit(0);
  })();
  return stopping;
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

await startControlServer(config.controlSocket, {
  status: () => ({ node: config.node, boot, ready: nodeReady, services: services.map((s) => s.status()) }),
  restart: async (name) => {
    const s = services.find((x) => x.config.name === name);
    if (!s) throw new Error(`node ${config.node} runs no service "${name}"`);
    if (faultOn(name, 'restart-noop')) {
      // fault restart-noop: the request is acknowledged, the running process left as it is
      console.line('supervisor', `restart of ${name} requested; left running (fault restart-noop)`);
      return s.status();
    }
    console.line('supervisor', `restarting ${name} on request`);
    await s.restart();
    return s.status();
  },
  shutdown: () => shutdown(),
});

/** whether a fault is on for one of this node's services (its fault file, as the service itself reads it) */
function faultOn(service: string, fault: string): boolean {
  try {
    const parsed = JSON.parse(readFileSync(join(paths.faults, `${service}.json`), 'utf8')) as Record<string, unknown>;
    return parsed[fault] === true;
  } catch {
    return false;
  }
}

/** ready once the service's port accepts a connection (sshd prints no marker); gives up when it exits */
function probePort(service: ServiceProcess): void {
  const [host, port] = service.config.listen.split(':') as [string, string];
  const attempt = () => {
    if (service.status().state !== 'starting') return;
    const sock = connect({ host, port: Number(port) });
    sock.once('connect', () => {
      sock.destroy();
      service.markReady();
    });
    sock.once('error', () => {
      sock.destroy();
      setTimeout(attempt, 50);
    });
  };
  attempt();
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
