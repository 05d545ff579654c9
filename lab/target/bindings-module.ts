import type { BindingsFactory } from '../../contracts/target.ts';
import { allowLabDestinations } from '../net/address-guard.ts';
import { createServicePorts, descriptorBinding } from './bindings/index.ts';

/**
 * The reference lab's HTTP clients as a bindings module: name this file in a descriptor's `bindings` (or in
 * ULTRACLOUD_BINDINGS) and every service port speaks to the lab services at the descriptor's endpoints.
 */
const bindLabServices: BindingsFactory = ({ descriptor }) => {
  allowLabDestinations();
  return createServicePorts(descriptorBinding(descriptor));
};

export default bindLabServices;
