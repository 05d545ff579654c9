import type { FaultSwitches } from '../services/common/fault-switches.ts';
import type { RedfishRequest } from './emulator.ts';
import type { EmulatedMachine } from './machine.ts';
import type { redfishSwitches } from './quirks.ts';
import { RedfishFault, type RedfishReply } from './redfish-reply.ts';
import { etagOf } from './resources.ts';

const allowed = {
  BootSourceOverrideTarget: ['None', 'Pxe', 'Cd', 'Hdd', 'BiosSetup'],
  BootSourceOverrideEnabled: ['Disabled', 'Once', 'Continuous'],
  BootSourceOverrideMode: ['UEFI', 'Legacy'],
} as const;

/** PATCH /redfish/v1/Systems/1 { Boot: {...} }: ETag preconditions, value checks, and the boot-mode quirk. */
export function handleBootPatch(
  req: RedfishRequest,
  machine: EmulatedMachine,
  switches: FaultSwitches<typeof redfishSwitches>,
): RedfishReply {
  const ifMatch = req.headers['if-match'];
  if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== etagOf(machine)) {
    throw new RedfishFault(412, 'PreconditionFailed', `If-Match ${ifMatch} does not match the current ETag`);
  }
  if (ifMatch === undefined && switches.on('require-etag')) {
    throw new RedfishFault(428, 'PreconditionRequired', 'this BMC requires If-Match with the resource ETag on PATCH');
  }
  const extra = Object.keys(req.body).filter((k) => k !== 'Boot' && !k.startsWith('@'));
  if (extra.length) throw new RedfishFault(400, 'PropertyNotWritable', `properties ${extra.join(', ')} are read-only`);
  const boot = req.body.Boot;
  if (!boot || typeof boot !== 'object') {
    throw new RedfishFault(400, 'PropertyMissing', 'the property Boot is required in this PATCH');
  }
  const patch = boot as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const values = (allowed as Record<string, readonly string[]>)[key];
    if (!values) throw new RedfishFault(400, 'PropertyUnknown', `the property Boot/${key} is not known`);
    if (typeof value !== 'string' || !values.includes(value)) {
      throw new RedfishFault(
        400,
        'PropertyValueNotInList',
        `the value ${JSON.stringify(value)} for Boot/${key} is not allowed`,
      );
    }
  }
  if (switches.on('require-boot-mode') && patch.BootSourceOverrideMode === undefined) {
    throw new RedfishFault(
      400,
      'PropertyMissing',
      'this BMC requires Boot/BootSourceOverrideMode with a boot override',
    );
  }
  machine.boot = {
    target: (patch.BootSourceOverrideTarget as string | undefined) ?? machine.boot.target,
    enabled: (patch.BootSourceOverrideEnabled as string | undefined) ?? machine.boot.enabled,
    mode: (patch.BootSourceOverrideMode as string | undefined) ?? machine.boot.mode,
  };
  machine.touch();
  return { status: 204, headers: { etag: etagOf(machine) } };
}

/** POST ComputerSystem.Reset: power changes are queued; the answer does not wait for the guest to boot. */
export async function handleReset(
  req: RedfishRequest,
  machine: EmulatedMachine,
  serialize: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<RedfishReply> {
  const type = req.body.ResetType;
  const background = (fn: () => Promise<void>) => void serialize(fn).catch(() => {});
  switch (type) {
    case 'On':
      background(() => machine.powerOn());
      break;
    case 'ForceOff':
      await serialize(() => machine.forceOff());
      break;
    case 'GracefulShutdown':
      background(() => machine.gracefulShutdown());
      break;
    case 'ForceRestart':
      background(() => machine.restart());
      break;
    default:
      throw new RedfishFault(
        400,
        'ActionParameterValueNotInList',
        `ResetType ${JSON.stringify(type)} is not supported`,
      );
  }
  return { status: 204 };
}
