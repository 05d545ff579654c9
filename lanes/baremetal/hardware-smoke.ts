import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import { HarnessError } from '../../contracts/errors.ts';
import { defineLane } from '../../harness/define.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import type { RedfishClient } from '../../helpers/redfish-client.ts';
import { bootInstallerFromVirtualMedia, connectBmc, ejectInstaller } from './hardware-smoke-bmc.ts';
import {
  captureFromSerialLog,
  captureOverSsh,
  fullSequence,
  markerReport,
  throughReboot,
} from './hardware-smoke-capture.ts';
import {
  type HardwareSmokeInputs,
  inputVariables,
  missingRequirements,
  type Transport,
} from './hardware-smoke-inputs.ts';
import { expectedMarkers, failureMarkers, kernelParams, operatorHandoff, statusEnv } from './hardware-smoke-pack.ts';

export type HardwareSmokePhase = 'preflight' | 'run' | 'capture';

export interface HardwareSmokeTarget {
  phase: HardwareSmokePhase;
  inputs: HardwareSmokeInputs;
}

type Ctx = LaneContextWithWaits<HardwareSmokeTarget>;

/**
 * hardware-smoke: the USB/BMC/Redfish bridge for the physical-node proof. preflight writes the bring-up pack
 * (kernel parameters, expected and failure markers, operator hand-off, status) and blocks naming the missing
 * inputs; run presents the installer over USB or Redfish virtual media; capture checks the console or the
 * installed host for the marker sequence through desired-system-active.
 */
export const hardwareSmokeLane = defineLane<HardwareSmokeTarget>({
  name: 'hardware-smoke',
  group: 'baremetal',
  summary: 'USB/BMC/Redfish bridge for the physical-node proof: preflight | run | capture',
  async run(ctx: Ctx) {
    const { phase, inputs } = ctx.target;
    const status = (facts: Record<string, string | number>) =>
      ctx.artifact('status.env', statusEnv({ phase, run_id: ctx.proofRoot.split('/').pop() ?? '', ...facts }));
    const { transport, missing } = await ctx.step('preflight: write the bring-up pack', () => preflight(ctx));
    ctx.recordEnvironment({ hardware_transport: transport, hardware_phase: phase });
    const evidenceMissing: string[] = [];
    if (phase === 'capture' && !inputs.serialLog && !inputs.ssh) {
      evidenceMissing.push(
        `${inputVariables.serialLog} (--serial-log) or ${inputVariables.ssh} (--ssh) with ${inputVariables.sshKey}`,
      );
    }
    if (phase === 'capture' && !inputs.serialLog && inputs.ssh && !inputs.desiredSystem) {
      evidenceMissing.push(
        `${inputVariables.desiredSystem} (--desired-system: the system the installed host must run)`,
      );
    }
    const blocking = phase === 'capture' ? evidenceMissing : missing;
    if (blocking.length) {
      await ctx.artifact('missing-requirements.txt', `${blocking.join('\n')}\n`);
      await status({ status: 'blocked', transport, missing_count: blocking.length });
      ctx.block(blocking);
    }
    if (phase === 'preflight') {
      await status({ status: 'ready', transport, missing_count: 0 });
      return;
    }
    await status({ status: 'running', transport });
    try {
      if (phase === 'run') await runInstaller(ctx, transport);
      else await capture(ctx);
      await status({ status: 'passed', transport });
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      await status({ status: 'failed', transport, reason: reason ?? 'unknown' });
      throw err;
    }
  },
});

async function preflight(ctx: Ctx): Promise<{ transport: Transport; missing: string[] }> {
  const { inputs } = ctx.target;
  const { transport, missing } = missingRequirements(inputs);
  await ctx.artifact('kernel-params.txt', kernelParams(inputs));
  await ctx.artifact('expected-markers.txt', `${expectedMarkers.join('\n')}\n`);
  await ctx.artifact('failure-markers.txt', `${failureMarkers.join('\n')}\n`);
  await ctx.artifact('operator-handoff.md', operatorHandoff(inputs, transport, missing));
  ctx.log(missing.length ? `missing: ${missing.join('; ')}` : `transport ${transport}: all inputs present`);
  return { transport, missing };
}

async function runInstaller(ctx: Ctx, transport: Transport): Promise<void> {
  const { inputs } = ctx.target;
  if (transport === 'usb') {
    await ctx.step('write the installer image to the USB device', () => writeUsb(ctx, inputs));
    if (inputs.serialLog) await waitForInstall(ctx, inputs.serialLog);
    return;
  }
  await using hold = new AsyncDisposableStack();
  const client = await ctx.step('log in to the BMC (Redfish)', () => connectBmc(ctx, inputs));
  hold.defer(() => client.close());
  let ejectLater = true;
  try {
    await bootInstallerFromVirtualMedia(ctx, client, inputs, hold);
    if (inputs.serialLog) {
      await waitForInstall(ctx, inputs.serialLog);
      ejectLater = false;
      await ejectInstaller(ctx, client);
    } else {
      ctx.log('no serial log given: the image stays inserted until capture ejects it');
    }
  } catch (err) {
    if (ejectLater) await ejectQuietly(ctx, client);
    throw err;
  }
}

async function waitForInstall(ctx: Ctx, serialLog: string): Promise<void> {
  const hits = await ctx.step('installer boots, phones home, runs Disko and reboots', () =>
    captureFromSerialLog(ctx, serialLog, throughReboot, ctx.target.inputs.timeoutMs),
  );
  await ctx.artifact('install-markers.txt', markerReport(hits));
}

async function capture(ctx: Ctx): Promise<void> {
  const { inputs } = ctx.target;
  if (inputs.serialLog) {
    const serialLog = inputs.serialLog;
    const hits = await ctx.step('console shows the sequence through desired-system-active', () =>
      captureFromSerialLog(ctx, serialLog, fullSequence, inputs.timeoutMs),
    );
    await ctx.artifact('markers-seen.txt', markerReport(hits));
    const active = hits[hits.length - 1];
    await ctx.artifact('desired-system-active.txt', `${active?.line.trim() ?? ''}\n`);
  } else {
    await ctx.step('installed host reports the desired system active (SSH)', () => captureOverSsh(ctx, inputs));
  }
  if (missingRequirements(inputs).transport === 'bmc' && !missingRequirements(inputs).missing.length) {
    await using client = await connectBmc(ctx, inputs);
    if ((await client.getVirtualMedia()).Inserted) await ejectInstaller(ctx, client);
  }
}

async function ejectQuietly(ctx: Ctx, client: RedfishClient): Promise<void> {
  try {
    if ((await client.getVirtualMedia()).Inserted) await client.ejectMedia();
  } catch (err) {
    ctx.log(`cleanup: could not eject the virtual media: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function writeUsb(ctx: Ctx, inputs: HardwareSmokeInputs): Promise<void> {
  const device = inputs.usbDevice as string;
  const info = await stat(device).catch(() => undefined);
  if (!info?.isBlockDevice()) throw new HarnessError(`${inputVariables.usbDevice} "${device}" is not a block device`);
  const image = inputs.isoPath as string;
  const started = performance.now();
  await execa('dd', [`if=${image}`, `of=${device}`, 'bs=4M', 'conv=fsync', 'status=none']);
  const size = (await stat(image)).size;
  ctx.log(`wrote ${size} bytes to ${device} in ${Math.round(performance.now() - started)} ms`);
  // read the device back: its first `size` bytes are the image, byte for byte
  const back = await execa('cmp', ['-n', String(size), image, device], { reject: false });
  ctx.check(
    'USB device reads back the installer image byte for byte',
    back.exitCode === 0,
    back.exitCode === 0 ? `${size} bytes match` : (back.stdout || back.stderr).trim(),
  );
}
