import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HarnessError } from '../../contracts/errors.ts';
import type { DeployerPort } from '../../contracts/ports/deployer.ts';
import { waitForMarkers } from '../../helpers/markers.ts';
import { projectNode } from '../../helpers/node-version.ts';
import { projectRoot } from '../../helpers/proof-root.ts';
import { freeLoopbackPort } from '../../helpers/qemu-hostfwd.ts';
import type { Endpoint } from '../../profiles/descriptor-schema.ts';
import type { PortBinding } from '../target/bindings/binding.ts';
import { createDeployerPort } from '../target/bindings/deployer.ts';

export interface HostDeployerOptions {
  stateDir: string;
  bootstrapToken: string;
  /** deployer fault switches to turn on (lab/services/deployer/faults.ts) */
  faults?: readonly string[];
  port?: number;
}

export interface HostDeployer extends AsyncDisposable {
  readonly endpoint: Endpoint;
  readonly port: DeployerPort;
  readonly pid: number;
}

/**
 * The lab deployer (lab/services/deployer/main.ts) as a process on the host's loopback, where QEMU guests reach it
 * through slirp as 10.0.2.2:<port>. Dies with the harness (parent-death signal).
 */
export async function startHostDeployer(options: HostDeployerOptions): Promise<HostDeployer> {
  const port = options.port ?? (await freeLoopbackPort());
  await mkdir(options.stateDir, { recursive: true });
  const faultsFile = join(options.stateDir, 'faults.json');
  await writeFile(faultsFile, JSON.stringify(Object.fromEntries((options.faults ?? []).map((f) => [f, true]))));
  const tokenFile = join(options.stateDir, 'bootstrap-token');
  await writeFile(tokenFile, options.bootstrapToken, { mode: 0o600 });
  const main = join(projectRoot, 'lab/services/deployer/main.ts');
  const child: ChildProcess = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', projectNode(), main], {
    env: {
      ...process.env,
      UCP_SERVICE: 'deployer',
      UCP_NODE: 'bootstrap',
      UCP_LISTEN: `127.0.0.1:${port}`,
      UCP_STATE_DIR: options.stateDir,
      UCP_FAULTS_FILE: faultsFile,
      UCP_DEPLOYER_BOOTSTRAP_TOKEN_FILE: tokenFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitForMarkers(child.stdout as Readable, ['service.deployer.ready'], {
      timeoutMs: 20_000,
      label: 'deployer stdout',
    });
  } catch (err) {
    await stop();
    throw new HarnessError(`deployer did not start: ${err instanceof Error ? err.message : err}; ${stderr.trim()}`);
  }
  child.stdout?.resume();
  const endpoint: Endpoint = { host: '127.0.0.1', port, scheme: 'http' };
  const binding: PortBinding = {
    targetName: 'baremetal-lab',
    instances: () => [{ node: 'bootstrap', endpoint }],
    on: () => endpoint,
  };
  return { endpoint, port: createDeployerPort(binding), pid: child.pid ?? -1, [Symbol.asyncDispose]: stop };
}
