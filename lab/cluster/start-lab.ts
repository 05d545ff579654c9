import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { HarnessError } from '../../contracts/errors.ts';
import { probeGuestImage } from '../../helpers/guest-image/probe-image.ts';
import { projectRoot, workRoot } from '../../helpers/proof-root.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { eventually, sleep } from '../../helpers/retry.ts';
import { InvalidInputError, type ServiceName, serviceNames } from '../../profiles/descriptor-schema.ts';
import { labServicePorts } from '../../profiles/descriptors/reference-lab.ts';
import { parseFaultList, serviceMain, validateFaults } from './fault-catalogue.ts';
import { referenceFlake, topologyFromFlake } from './flake-topology.ts';
import { describeRuntime, labArgv, labRuntimeEnv, labRuntimeFromEnv, prepareLabRuntime } from './lab-build.ts';
import { processAlive } from './lab-registry.ts';
import type { FaultSetting, LabNodeSpec, LabSpec, LabState } from './lab-spec.ts';

export interface BootLabOptions {
  /** the nodes to boot (default: the reference flake's nixosConfigurations node01..node06) */
  nodes?: LabNodeSpec[];
  /** where the node list came from, for the record */
  source?: string;
  /** run only these services (default: ULTRACLOUD_LAB_SERVICES, else every service the nodes list) */
  services?: ServiceName[];
  /** faults on from the start: settings or "svc:fault[@node],..." (default: ULTRACLOUD_LAB_FAULTS) */
  faults?: FaultSetting[] | string;
  /** leave the lab running after this process exits (`ucproof cluster up`, ULTRACLOUD_KEEP_CLUSTER=1) */
  detach?: boolean;
  workRoot?: string;
  /** wait this long for every node's node.ready (default 120 s); 0 = do not wait */
  readyTimeoutMs?: number;
  /** aborting ends the boot wherever it is: the controller tears down what it made, bootLab rejects */
  signal?: AbortSignal;
  /** progress lines as the boot goes (nodes started, each node ready, with the time since the boot began) */
  progress?: (line: string) => void;
}

/** bootLab was aborted through its signal; the lab it was booting is gone. */
export class LabBootInterrupted extends HarnessError {}

/** A running lab: its state, and stop() (also `await using`) that leaves nothing behind. */
export interface BootedLab extends AsyncDisposable {
  readonly state: LabState;
  stop(): Promise<void>;
}

export async function resolveLabSpec(options: BootLabOptions): Promise<LabSpec> {
  const only = options.services ?? parseServiceList(process.env.ULTRACLOUD_LAB_SERVICES);
  const nodes = (options.nodes ?? (await topologyFromFlake())).map((n) => ({
    ...n,
    services: only ? n.services.filter((s) => only.includes(s)) : [...n.services],
  }));
  const missing = [...new Set(nodes.flatMap((n) => n.services))].filter((s) => !existsSync(serviceMain(s)));
  if (missing.length) {
    throw new HarnessError(
      `lab services without an implementation (lab/services/<name>/main.ts): ${missing.join(', ')}; ` +
        'restrict the lab with ULTRACLOUD_LAB_SERVICES=<service,...>',
    );
  }
  const faults =
    typeof options.faults === 'string' || options.faults === undefined
      ? parseFaultList(options.faults ?? process.env.ULTRACLOUD_LAB_FAULTS)
      : options.faults;
  const root = options.workRoot ?? workRoot();
  assertOutsideTmp(root, options.workRoot ? 'the lab work root' : 'ULTRACLOUD_WORK_ROOT');
  return {
    nodes,
    servicePorts: labServicePorts,
    faults,
    workRoot: root,
    source: options.source ?? (options.nodes ? 'explicit node list' : `${referenceFlake}#nixosConfigurations`),
  };
}

/**
 * Every lab node mounts its own private folder over /tmp, so a lab whose state lives under the host's /tmp would
 * hide that state from its own nodes (they would never boot). Refused before anything starts, naming the setting.
 */
export function assertOutsideTmp(root: string, setting: string): void {
  let p = resolve(root);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const real = join(realpathSync(p), relative(p, resolve(root)));
  if (real === '/tmp' || real.startsWith('/tmp/')) {
    throw new InvalidInputError(
      `${setting}: ${root} is under /tmp, which every lab node replaces with a private /tmp of its own; ` +
        'put the work root outside /tmp',
      [setting],
    );
  }
}

/** A comma-separated service list; an unknown name is an error naming it and where it came from. */
export function parseServiceList(
  raw: string | undefined,
  variable = 'ULTRACLOUD_LAB_SERVICES',
): ServiceName[] | undefined {
  if (!raw?.trim()) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(serviceNames as readonly string[]).includes(n)) {
      throw new HarnessError(`${variable}: unknown service "${n}"; known: ${serviceNames.join(', ')}`);
    }
  }
  return names as ServiceName[];
}

/** Boot a lab through its own controller process; resolves once every node printed node.ready. */
export async function bootLab(options: BootLabOptions = {}): Promise<BootedLab> {
  const started = performance.now();
  const progress = (line: string) =>
    options.progress?.(`${line} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const spec = await resolveLabSpec(options);
  await validateFaults(spec.faults, spec.nodes);
  // how lab processes are launched: a bad setting is refused before anything starts
  labRuntimeFromEnv(workRoot());
  progress(`reference lab: booting ${spec.nodes.map((n) => n.name).join(', ')}`);
  if (!process.env.ULTRACLOUD_VM_ACCELERATOR && spec.nodes.some((n) => n.services.includes('plasmavmc'))) {
    // probe once per harness process; every plasmavmc of this and later labs inherits the answer
    process.env.ULTRACLOUD_VM_ACCELERATOR = (await probeAccelerator(await probeGuestImage())).mode;
    progress(`VM accelerator for plasmavmc: ${process.env.ULTRACLOUD_VM_ACCELERATOR} (probed by booting a guest)`);
  }
  const { signal } = options;
  const interrupted = () => new LabBootInterrupted('lab boot interrupted; the lab was torn down');
  if (signal?.aborted) throw interrupted();
  const labRoot = join(spec.workRoot, 'lab');
  mkdirSync(labRoot, { recursive: true });
  // built under the suite's work root (also for a lab given a work root of its own), so labs share one build
  const runtime = await prepareLabRuntime(workRoot());
  spec.runtime = runtime;
  progress(`lab processes: ${describeRuntime(runtime, workRoot())}`);
  if (signal?.aborted) throw interrupted();
  const stamp = `${Date.now()}-${process.pid}`;
  const specPath = join(labRoot, `spec-${stamp}.json`);
  writeFileSync(specPath, JSON.stringify(spec, null, 2));
  const logPath = join(labRoot, `controller-${stamp}.log`);
  const log = openSync(logPath, 'a');
  const detach = options.detach ?? false;
  const [node, ...args] = labArgv(runtime, 'lab/controller');
  const child = spawn(node, [...args, '--spec', specPath, ...(detach ? ['--detach'] : [])], {
    stdio: [detach ? 'ignore' : 'pipe', 'pipe', log],
    detached: detach,
    cwd: projectRoot,
    env: { ...process.env, ...labRuntimeEnv(runtime) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGTERM: the controller finishes the step in flight, removes what it made, and exits
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  let statePath: string;
  try {
    statePath = await readyLine(child, logPath);
  } catch (err) {
    if (signal?.aborted) {
      await exited;
      throw interrupted();
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as LabState;
  progress(`lab ${state.labId}: bridge, namespaces and ${state.nodes.length} node supervisors started`);
  if (detach) {
    child.stdout?.destroy();
    child.unref();
  }
  const lab: BootedLab = {
    state,
    stop: () => stopController(state, detach ? null : child),
    [Symbol.asyncDispose]: () => lab.stop(),
  };
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  try {
    if (signal?.aborted) throw interrupted();
    if (timeoutMs > 0) {
      await waitForNodesReady(state, timeoutMs, signal, progress);
      // the booted state every lane can be restored to (POST /restore)
      const t0 = performance.now();
      await takeLabSnapshot(state);
      progress(`snapshot of the booted lab taken in ${Math.round(performance.now() - t0)} ms`);
    }
  } catch (err) {
    await lab.stop();
    throw signal?.aborted ? interrupted() : err;
  }
  return lab;
}

function readyLine(child: ChildProcess, logPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line.startsWith('ULTRACLOUD_LAB_READY ')) {
        settled = true;
        resolve(line.slice('ULTRACLOUD_LAB_READY '.length).trim());
      } else if (line.startsWith('ULTRACLOUD_LAB_FAILED ')) {
        settled = true;
        reject(new HarnessError(`lab controller failed to boot: ${line.slice(22)} (log: ${logPath})`));
      }
    });
    child.once('exit', (code, signal) => {
      if (!settled)
        reject(
          new HarnessError(`lab controller exited (${signal ?? code}) before its nodes started (log: ${logPath})`),
        );
    });
  });
}

/** Keep the lab's current state as the one its restores return to. */
export async function takeLabSnapshot(state: LabState): Promise<void> {
  const res = await fetch(`${state.controllerUrl}/snapshot`, { method: 'POST', signal: AbortSignal.timeout(120_000) });
  if (!res.ok)
    throw new HarnessError(`POST ${state.controllerUrl}/snapshot answered ${res.status}: ${await res.text()}`);
}

/** Whether the lab has a snapshot to restore to. */
export async function labHasSnapshot(state: LabState): Promise<boolean> {
  const res = await fetch(`${state.controllerUrl}/snapshot`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return false;
  return ((await res.json()) as { snapshot: unknown }).snapshot != null;
}

interface NodeSummary {
  name: string;
  state: string;
  ready: boolean;
  services: Array<{ name: string; state: string; health: string }>;
}

export async function labNodes(controllerUrl: string): Promise<NodeSummary[]> {
  const res = await fetch(`${controllerUrl}/nodes`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new HarnessError(`GET ${controllerUrl}/nodes answered ${res.status}`);
  return (await res.json()) as NodeSummary[];
}

export async function waitForNodesReady(
  state: LabState,
  timeoutMs: number,
  signal?: AbortSignal,
  progress?: (line: string) => void,
): Promise<void> {
  const reported = new Set<string>();
  await eventually(
    async () => {
      const nodes = await labNodes(state.controllerUrl);
      for (const n of nodes) {
        if (reported.has(n.name) || !n.ready || n.services.some((s) => s.health !== 'healthy')) continue;
        reported.add(n.name);
        progress?.(`${n.name}: ready, ${n.services.map((s) => s.name).join(', ')} healthy`);
      }
      const waiting = nodes.filter((n) => !n.ready || n.services.some((s) => s.health !== 'healthy'));
      if (waiting.length) {
        const detail = waiting.map((n) => {
          const bad = n.services.filter((s) => s.health !== 'healthy').map((s) => `${s.name}=${s.health}`);
          return `${n.name}(${n.ready ? 'ready' : 'booting'}${bad.length ? `; ${bad.join(' ')}` : ''})`;
        });
        throw new Error(`waiting for ${detail.join(', ')}`);
      }
    },
    {
      timeoutMs,
      intervalMs: 200,
      maxIntervalMs: 1_000,
      what: `every node of lab ${state.labId} ready and healthy`,
      ...(signal ? { signal } : {}),
    },
  );
}

/** Stop a lab: close the controller's pipe (or SIGTERM a detached one) and wait for it to finish tearing down. */
export async function stopController(state: LabState, child: ChildProcess | null): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    return;
  }
  if (!processAlive(state.controllerPid)) return;
  process.kill(state.controllerPid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (processAlive(state.controllerPid)) {
    if (Date.now() > deadline) {
      process.kill(state.controllerPid, 'SIGKILL');
      break;
    }
    await sleep(100);
  }
}
