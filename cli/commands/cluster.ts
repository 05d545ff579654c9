import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type ssh2 from 'ssh2';
import { HarnessError } from '../../contracts/errors.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { sshConnect, sshExec } from '../../helpers/ssh.ts';
import { stopKeptQuickstartVms } from '../../helpers/vm-runner/kept.ts';
import { clearCurrentLab, currentLab, setCurrentLab } from '../../lab/cluster/current-lab.ts';
import { parseFaultList, validateFaults } from '../../lab/cluster/fault-catalogue.ts';
import { findLab, labsOfWorkRoot, labUnheld, processAlive } from '../../lab/cluster/lab-registry.ts';
import { removeOrphanKeyrings } from '../../lab/cluster/lab-secrets.ts';
import type { LabState } from '../../lab/cluster/lab-spec.ts';
import { endLab, removeStaleLabs } from '../../lab/cluster/stale-labs.ts';
import {
  type BootLabOptions,
  bootLab,
  LabBootInterrupted,
  labNodes,
  parseServiceList,
  resolveLabSpec,
  stopController,
} from '../../lab/cluster/start-lab.ts';
import { allowLabDestinations } from '../../lab/net/address-guard.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';
import { clusterLaneCommands, runClusterLane } from './cluster-lanes.ts';
import { serveVmWebapp } from './cluster-serve.ts';

export const summary =
  'up | status | logs | ssh | stop | clean | demo-vm-webapp | serve-vm-webapp | matrix | fresh-matrix | bench-storage | fresh-bench-storage | provider-vm-reality-proof';

const help = `usage: ucproof cluster <subcommand>

  up [--faults S:F[@N],...] [--services A,B]   boot the six-node reference lab and leave it running
  status [--json]                              each node's name, role, state and services' health
  logs NODE                                    print NODE's console log
  ssh NODE [-- CMD]                            run CMD on NODE over SSH (a shell without CMD)
  stop                                         stop the running lab, and any lab of this work root still
                                               booting or left behind; nothing of them is left running;
                                               also a quickstart VM kept with ULTRACLOUD_QUICKSTART_KEEP_VM=1
  clean                                        remove leftovers of dead labs (namespaces, bridges, state),
                                               end labs whose 'up' was killed before they were up, and stop
                                               kept quickstart VMs

lanes on the running lab (start it with 'up' first; they leave it running):
  demo-vm-webapp                               fresh-demo-vm-webapp: the VM-hosted web app with lightningstor state
  matrix                                       fresh-matrix: the composed service matrix
  bench-storage                                LightningStor and CoronaFS throughput and p50/p99, reads verified
lanes on a cluster booted for the run and torn down afterwards:
  fresh-matrix                                 fresh-matrix
  fresh-bench-storage                          bench-storage
  provider-vm-reality-proof                    prismnet port/ACL, fiberlb drain, authoritative flashdns, plasmavmc
                                               shared-storage migration and restart (work/provider-vm-reality-proof/)
  serve-vm-webapp [--name NAME]                the demo web app in a plasmavmc VM (on the running lab, else on a
                                               cluster booted for it); prints its URL (the VM's forward on a lab
                                               address) and serves until Ctrl-C, then deletes the VM, exit 130

Each lane command prints its proof root, work/<lane>/<run-id>/ (result.json; bench-storage.json and
bench-storage.md for bench-storage). Exit: 0 passed, 1 failed, 130 interrupted, 3 blocked or (plain forms) no
cluster up — a missing requirement, not a bad argument — and 2 for bad arguments, before anything boots.

The lab boots from the reference flake's nixosConfigurations.node01..node06.`;

/** --faults and --services problems (unknown service, fault, node) are bad arguments: exit 2 */
function asUsage(err: unknown): never {
  throw new UsageError(err instanceof Error ? err.message : String(err));
}

function requireLab(): LabState {
  const state = currentLab();
  if (!state) throw new HarnessError("no cluster is up (start one with 'ucproof cluster up')");
  return state;
}

function nodeOf(state: LabState, name: string | undefined): LabState['nodes'][number] {
  if (!name) throw new UsageError('missing NODE');
  const node = state.nodes.find((n) => n.name === name);
  if (!node) throw new UsageError(`unknown node "${name}" (nodes: ${state.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

export async function run(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const [sub, ...rest] = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  if (dash >= 0 && sub !== 'ssh') throw new UsageError(`"--" is only for "ssh NODE -- CMD"`);
  switch (sub) {
    case 'up':
      return await up(rest);
    case 'status':
      return await status(rest);
    case 'logs': {
      const { positionals } = parseCommandArgs(rest, { allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError('usage: ucproof cluster logs NODE');
      process.stdout.write(readFileSync(nodeOf(requireLab(), positionals[0]).consolePath, 'utf8'));
      return 0;
    }
    case 'ssh':
      return await ssh(rest, command);
    case 'stop':
      return await stop(rest);
    case 'clean':
      return await clean(rest);
    case 'serve-vm-webapp':
      return await serveVmWebapp(rest);
    default: {
      const lane = sub && Object.hasOwn(clusterLaneCommands, sub) ? clusterLaneCommands[sub] : undefined;
      if (lane && sub) return await runClusterLane(sub, lane, rest);
      throw new UsageError(`${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}\n\n${help}`);
    }
  }
}

async function up(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { options: { faults: { type: 'string' }, services: { type: 'string' } } });
  const running = currentLab();
  if (running) {
    process.stdout.write(`cluster ${running.labId} is already up (${running.subnet})\n`);
    return 0;
  }
  const started = performance.now();
  let options: BootLabOptions;
  try {
    options = {
      ...(values.faults !== undefined ? { faults: parseFaultList(values.faults, '--faults') } : {}),
      ...(values.services ? { services: parseServiceList(values.services, '--services') } : {}),
    };
  } catch (err) {
    asUsage(err);
  }
  // Ctrl-C (or SIGTERM) ends the boot wherever it is; a second one does not cut the teardown short
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const spec = await resolveLabSpec(options);
    await validateFaults(spec.faults, spec.nodes).catch(asUsage);
    const lab = await bootLab({
      ...options,
      nodes: spec.nodes,
      faults: spec.faults,
      source: spec.source,
      detach: true,
      signal: interrupt.signal,
    });
    if (interrupt.signal.aborted) {
      await lab.stop();
      throw new LabBootInterrupted('interrupted');
    }
    await setCurrentLab(lab.state);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `cluster ${lab.state.labId} up in ${seconds} s on ${lab.state.subnet} (${lab.state.labDir})\n`,
    );
    return 0;
  } catch (err) {
    if (!interrupt.signal.aborted) throw err;
    // whatever the boot had reached: every lab this process started that is still registered
    const mine = labsOfWorkRoot(workRoot()).filter((r) => r.starterPid === process.pid);
    for (const record of mine) await endLab(record);
    process.stderr.write('ucproof cluster: up interrupted; the lab it was booting is torn down\n');
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function status(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { options: { json: { type: 'boolean', default: false } } });
  const state = requireLab();
  const nodes = await labNodes(state.controllerUrl);
  const report = nodes.map((n) => ({
    name: n.name,
    role: state.nodes.find((x) => x.name === n.name)?.role ?? 'unknown',
    address: state.nodes.find((x) => x.name === n.name)?.address ?? '',
    state: n.state,
    ready: n.ready,
    services: Object.fromEntries(n.services.map((s) => [s.name, s.health])),
  }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ labId: state.labId, subnet: state.subnet, nodes: report }, null, 2)}\n`);
  } else {
    const lines = [`cluster ${state.labId} on ${state.subnet}`];
    for (const n of report) {
      const svc = Object.entries(n.services).map(([k, v]) => `${k}=${v}`);
      lines.push(
        `${n.name.padEnd(8)} ${n.role.padEnd(14)} ${n.address.padEnd(15)} ${n.state.padEnd(8)} ${svc.join(' ')}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

async function ssh(argv: string[], command: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, { allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('usage: ucproof cluster ssh NODE [-- CMD]');
  const state = requireLab();
  const node = nodeOf(state, positionals[0]);
  allowLabDestinations();
  const target = { host: node.address, port: 22, user: 'root', privateKey: readFileSync(state.sshKeyPath) };
  if (command.length > 0) {
    const r = await sshExec(target, command.join(' '), { timeoutMs: 10 * 60_000 });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.exitCode;
  }
  const client = await sshConnect(target);
  return await new Promise<number>((resolve, reject) => {
    const onShell = (err: Error | undefined, stream: ssh2.ClientChannel) => {
      if (err) return reject(err);
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      process.stdin.pipe(stream);
      stream.pipe(process.stdout);
      stream.stderr.pipe(process.stderr);
      stream.on('exit', (code: number | null) => {
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.unpipe(stream);
        process.stdin.pause();
        client.end();
        resolve(code ?? 0);
      });
    };
    // a terminal gets a pty; piped input runs a plain shell reading commands from stdin
    if (process.stdin.isTTY) client.shell({ term: process.env.TERM ?? 'xterm' }, onShell);
    else client.shell(false, onShell);
  });
}

/**
 * End the current lab and, found by the slot records, every other lab of this work root nobody holds: one a
 * `cluster up` was still booting, or one whose starter is gone. A lab a live test run booted for itself stays.
 */
async function stop(argv: string[]): Promise<number> {
  parseCommandArgs(argv, { options: {} });
  const state = currentLab();
  const others = labsOfWorkRoot(workRoot()).filter((r) => r.labId !== state?.labId && labUnheld(r));
  if (state) {
    await stopController(state, null);
    const left = findLab(state.labId);
    if (left) await endLab(left);
  }
  for (const record of others) await endLab(record);
  clearCurrentLab();
  // quickstart VMs kept with ULTRACLOUD_QUICKSTART_KEEP_VM=1
  const vms = await stopKeptQuickstartVms(workRoot());
  const lines = [
    ...(state ? [`cluster ${state.labId} stopped`] : []),
    ...others.map((r) => `lab ${r.labId} (not up: still booting or left behind) stopped`),
    ...vms.map((name) => `quickstart VM ${name} stopped`),
  ];
  process.stdout.write(`${lines.length ? lines.join('\n') : 'no cluster is up'}\n`);
  return 0;
}

async function clean(argv: string[]): Promise<number> {
  parseCommandArgs(argv, { options: {} });
  const live = currentLab()?.labId;
  // this work root's labs that are not up and whose starter is gone (a `cluster up` killed mid-boot)
  const orphans = labsOfWorkRoot(workRoot()).filter(
    (r) => r.labId !== live && (r.starterPid === undefined || !processAlive(r.starterPid)),
  );
  for (const record of orphans) await endLab(record);
  const cleaned = [...new Set([...orphans.map((r) => r.labId), ...(await removeStaleLabs())])];
  const labRoot = join(workRoot(), 'lab');
  const removed: string[] = [];
  if (existsSync(labRoot)) {
    for (const name of readdirSync(labRoot)) {
      const path = join(labRoot, name);
      if (/^[0-9a-f]{6}$/.test(name) && name !== live && !findLab(name)) {
        rmSync(path, { recursive: true, force: true });
        removed.push(name);
      } else {
        // spec-<ms>-<pid>.json / controller-<ms>-<pid>.log of a lab whose starter has exited
        const starter = /^(?:spec|controller)-\d+-(\d+)\.(?:json|log)$/.exec(name)?.[1];
        if (starter && !processAlive(Number(starter))) rmSync(path, { force: true });
      }
    }
  }
  if (!live) clearCurrentLab();
  const vms = await stopKeptQuickstartVms(workRoot());
  for (const name of vms) process.stdout.write(`quickstart VM ${name} stopped\n`);
  // operator keyrings of labs that are gone (their IAM admin secrets): a lab still running keeps its own
  removeOrphanKeyrings(workRoot());
  const ended = orphans.map((r) => `lab ${r.labId} (not up, its starter gone) ended\n`).join('');
  process.stdout.write(
    `${ended}cleaned ${cleaned.length} dead lab network(s), removed ${removed.length} lab state dir(s)\n`,
  );
  return 0;
}
