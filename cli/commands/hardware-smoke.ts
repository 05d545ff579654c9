import { readFileSync } from 'node:fs';
import { HarnessError } from '../../contracts/errors.ts';
import { runLane } from '../../harness/run-lane.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { type HardwareSmokePhase, hardwareSmokeLane } from '../../lanes/baremetal/hardware-smoke.ts';
import { readHardwareSmokeInputs, inputVariables as v } from '../../lanes/baremetal/hardware-smoke-inputs.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

export const summary = 'preflight | run | capture';

const usage = `usage: ucproof hardware-smoke <preflight|run|capture> [options]

Writes work/hardware-smoke/<run-id>/ (and work/hardware-smoke/latest): kernel-params.txt, expected-markers.txt,
failure-markers.txt, operator-handoff.md, status.env, and missing-requirements.txt when blocked.

Every option also reads from its environment variable; the flag wins.
  --usb-device DEV            ${v.usbDevice}
  --bmc-url URL               ${v.bmcUrl}
  --bmc-username NAME         ${v.bmcUsername}
  --bmc-password-file FILE    ${v.bmcPasswordFile} (or ${v.bmcPassword}; never a flag)
  --bmc-auth basic|session    ${v.bmcAuth} (default basic)
  --bmc-ca-file FILE          ${v.bmcCaFile}
  --bmc-insecure              ${v.bmcInsecure}=1
  --iso-url URL               ${v.isoUrl} (what the BMC fetches)
  --iso-path FILE             ${v.isoPath} (written to USB, or served to a loopback BMC)
  --deployer-url URL          ${v.deployerUrl}
  --bootstrap-token-file FILE ${v.bootstrapToken} (never a flag)
  --allow-unauthenticated     ${v.allowUnauthenticated}=1
  --ca-cert-url URL           ${v.caCertUrl}
  --binary-cache-url URL      ${v.binaryCacheUrl}
  --node-id ID                ${v.nodeId}
  --hostname NAME             ${v.hostname}
  --serial-log FILE           ${v.serialLog} (run waits through reboot.*, capture through desired-system-active.*)
  --ssh USER@HOST[:PORT]      ${v.ssh} (capture over SSH, with --ssh-key)
  --ssh-key FILE              ${v.sshKey}
  --desired-system PATH       ${v.desiredSystem} (capture over SSH: the system the host must run)
  --timeout-ms N              ${v.timeoutMs} (default 900000)

exit codes: 0 passed (preflight: also when blocked), 1 failed, 2 bad arguments, 3 blocked`;

const flags = {
  'usb-device': v.usbDevice,
  'bmc-url': v.bmcUrl,
  'bmc-username': v.bmcUsername,
  'bmc-password-file': v.bmcPasswordFile,
  'bmc-auth': v.bmcAuth,
  'bmc-ca-file': v.bmcCaFile,
  'iso-url': v.isoUrl,
  'iso-path': v.isoPath,
  'deployer-url': v.deployerUrl,
  'ca-cert-url': v.caCertUrl,
  'binary-cache-url': v.binaryCacheUrl,
  'node-id': v.nodeId,
  hostname: v.hostname,
  'serial-log': v.serialLog,
  ssh: v.ssh,
  'ssh-key': v.sshKey,
  'desired-system': v.desiredSystem,
  'timeout-ms': v.timeoutMs,
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.keys(flags).map((f) => [f, { type: 'string' as const }])),
      'bootstrap-token-file': { type: 'string' },
      'bmc-insecure': { type: 'boolean' },
      'allow-unauthenticated': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const [phase, ...extra] = positionals;
  if (phase !== 'preflight' && phase !== 'run' && phase !== 'capture') {
    throw new UsageError(`expected preflight, run or capture, got "${phase ?? ''}"\n\n${usage}`);
  }
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [flag, variable] of Object.entries(flags)) {
    const value = (values as Record<string, unknown>)[flag];
    if (typeof value === 'string') env[variable] = value;
  }
  if (values['bmc-insecure']) env[v.bmcInsecure] = '1';
  if (values['allow-unauthenticated']) env[v.allowUnauthenticated] = '1';
  const tokenFile = values['bootstrap-token-file'];
  if (typeof tokenFile === 'string') {
    try {
      env[v.bootstrapToken] = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`--bootstrap-token-file "${tokenFile}" cannot be read: ${(err as Error).message}`);
    }
  }
  let inputs: ReturnType<typeof readHardwareSmokeInputs>;
  try {
    inputs = readHardwareSmokeInputs(env);
  } catch (err) {
    if (err instanceof HarnessError) throw new UsageError(err.message);
    throw err;
  }
  const result = await runLane(hardwareSmokeLane, {
    target: { phase: phase as HardwareSmokePhase, inputs },
    targetName: 'hardware',
  });
  const root = `${workRoot()}/hardware-smoke/${result.runId}`;
  process.stdout.write(`hardware-smoke ${phase}: ${result.status} (${root})\n`);
  if (result.status === 'blocked') {
    process.stdout.write(`missing:\n${result.missingRequirements.map((m) => `  ${m}`).join('\n')}\n`);
    return phase === 'preflight' ? 0 : 3;
  }
  if (!result.success) {
    process.stderr.write(`${result.failure?.stepPath.join(' › ')}: ${result.failure?.message}\n`);
    return 1;
  }
  return 0;
}
