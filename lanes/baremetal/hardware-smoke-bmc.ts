import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { RedfishClient } from '../../helpers/redfish-client.ts';
import { RedfishError } from '../../helpers/redfish-error.ts';
import { bmcPassword, type HardwareSmokeInputs } from './hardware-smoke-inputs.ts';
import { serveImage } from './hardware-smoke-media-server.ts';

export type HardwareSmokeContext<C> = LaneContextWithWaits<C>;

/** Log in to the BMC named by the inputs (Basic or session auth); every call is logged without credentials. */
export async function connectBmc<C>(ctx: HardwareSmokeContext<C>, inputs: HardwareSmokeInputs): Promise<RedfishClient> {
  const bmc = inputs.bmc;
  const password = bmcPassword(inputs);
  if (!bmc?.url || !bmc.username || !password) throw new Error('BMC inputs are incomplete');
  registerSecret(password);
  return RedfishClient.connect({
    url: bmc.url,
    username: bmc.username,
    password,
    auth: bmc.auth,
    caFile: bmc.caFile,
    insecure: bmc.insecure,
    log: (line) => ctx.log(line),
  });
}

/** Run one Redfish action as a check: a refusal fails the lane naming the action and the BMC's message. */
export async function redfishAction<C>(
  ctx: HardwareSmokeContext<C>,
  property: string,
  action: () => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof RedfishError) ctx.check(property, false, err.message);
    throw err;
  }
  ctx.check(property, true);
}

/**
 * Present the installer through BMC virtual media and boot it once: InsertMedia, Boot override Cd/Once, Reset.
 * Returns the image URL the BMC was given. A local image is served from loopback for the lab's BMC while
 * `hold` lasts.
 */
export async function bootInstallerFromVirtualMedia<C>(
  ctx: HardwareSmokeContext<C>,
  client: RedfishClient,
  inputs: HardwareSmokeInputs,
  hold: AsyncDisposableStack,
): Promise<string> {
  const image = inputs.isoUrl ?? hold.use(await serveImage(inputs.isoPath as string)).url;
  await ctx.step('insert the installer image (VirtualMedia.InsertMedia)', async () => {
    const media = await client.getVirtualMedia();
    if (media.Inserted) {
      ctx.log(`ejecting the previously inserted image ${String(media.Image)}`);
      await client.ejectMedia();
    }
    await redfishAction(ctx, 'BMC accepts VirtualMedia.InsertMedia', () => client.insertMedia(image));
    const after = mediaState(await client.getVirtualMedia());
    const seen = `${client.virtualMediaPath} reads ${JSON.stringify(after)}`;
    ctx.check('virtual CD reads back Inserted true after InsertMedia', after.Inserted === true, seen);
    ctx.check('virtual CD reads back Image as the installer image URL', after.Image === image, seen);
  });
  await ctx.step('boot once from the virtual CD (Boot override Cd, Once)', async () => {
    await redfishAction(ctx, 'BMC accepts the one-time Cd boot override', () => client.setOneTimeBoot('Cd'));
    const boot = ((await client.getSystem()).Boot ?? {}) as Record<string, unknown>;
    ctx.check(
      'boot override reads back as Cd/Once',
      boot.BootSourceOverrideTarget === 'Cd' && boot.BootSourceOverrideEnabled === 'Once',
      JSON.stringify(boot),
    );
  });
  await ctx.step('power on (ComputerSystem.Reset)', async () => {
    const on = (await client.getSystem()).PowerState === 'On';
    await redfishAction(ctx, `BMC accepts ComputerSystem.Reset ${on ? 'ForceRestart' : 'On'}`, () =>
      client.reset(on ? 'ForceRestart' : 'On'),
    );
    await ctx.eventually('system reports PowerState On', async () => {
      const state = (await client.getSystem()).PowerState;
      if (state !== 'On') throw new Error(`PowerState is ${String(state)}`);
    });
  });
  return image;
}

export async function ejectInstaller<C>(ctx: HardwareSmokeContext<C>, client: RedfishClient): Promise<void> {
  await ctx.step('eject the installer image (VirtualMedia.EjectMedia)', async () => {
    await redfishAction(ctx, 'BMC accepts VirtualMedia.EjectMedia', () => client.ejectMedia());
    const after = mediaState(await client.getVirtualMedia());
    const seen = `${client.virtualMediaPath} reads ${JSON.stringify(after)}`;
    ctx.check('virtual CD reads back Inserted false after EjectMedia', after.Inserted === false, seen);
    ctx.check(
      'virtual CD reads back no Image after EjectMedia',
      after.Image === null || after.Image === undefined || after.Image === '',
      seen,
    );
  });
}

/** The VirtualMedia properties the lane reads back (DMTF VirtualMedia: Inserted, Image, ImageName). */
function mediaState(media: Record<string, unknown>): { Inserted: unknown; Image: unknown; ImageName?: unknown } {
  return {
    Inserted: media.Inserted,
    Image: media.Image,
    ...(media.ImageName !== undefined ? { ImageName: media.ImageName } : {}),
  };
}
