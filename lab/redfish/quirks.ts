import type { FaultCatalogue } from '../services/common/fault-switches.ts';

/**
 * How the emulated BMC can misbehave. The first two are quirks real BMCs have and a correct client copes with;
 * the last is a fault a correct lane must report (naming InsertMedia) instead of waiting for a boot that never
 * comes.
 */
export const redfishSwitches = {
  'require-etag': {
    breaks: 'a PATCH without If-Match is refused with 428, a stale one with 412 (clients must GET the ETag first)',
  },
  'require-boot-mode': {
    breaks: 'a Boot override PATCH without BootSourceOverrideMode is refused with 400 (clients must send the mode)',
  },
  'reject-insert-media': {
    breaks: 'VirtualMedia.InsertMedia fails with a Redfish error: the installer image never reaches the machine',
  },
} satisfies FaultCatalogue;

export type RedfishSwitch = keyof typeof redfishSwitches;
