import type { FaultCatalogue } from '../services/common/fault-switches.ts';

/**
 * How the emulated BMC can misbehave. The first two are quirks real BMCs have and a correct client copes with;
 * the others are faults a correct lane must report (naming InsertMedia, or the VirtualMedia property it read
 * back) instead of waiting for a boot that never comes.
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
  'insert-media-noop': {
    breaks: 'VirtualMedia.InsertMedia answers 204 but mounts nothing: the virtual CD stays Inserted false, no Image',
  },
  'eject-media-noop': {
    breaks: 'VirtualMedia.EjectMedia answers 204 but the image stays mounted: the virtual CD stays Inserted true',
  },
} satisfies FaultCatalogue;

export type RedfishSwitch = keyof typeof redfishSwitches;
