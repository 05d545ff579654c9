import type { BaremetalDeployerBinding } from '../../contracts/baremetal-target.ts';
import type { BindingsFactory } from '../../contracts/target.ts';
import { startHostDeployer } from '../baremetal/host-deployer.ts';
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

/**
 * The lab's bare-metal deployer binding (deployer fault switches in `faults`): the lab deployer as a host process
 * on loopback, given the install plans as node classes and the nodes pre-registered.
 */
export function labBaremetalDeployer(faults: readonly string[] = []): BaremetalDeployerBinding {
  return async (request) => {
    allowLabDestinations();
    const deployer = await startHostDeployer({
      stateDir: request.stateDir,
      bootstrapToken: request.bootstrapToken,
      faults,
    });
    try {
      for (const c of request.classes) {
        await deployer.port.putClass(c.name, {
          install_plan: c.installPlan,
          desired_system: { target_system: c.desiredSystem },
          bundle_path: request.bundlePath,
        });
      }
      for (const n of request.nodes) await deployer.port.preregister(n);
    } catch (err) {
      await deployer[Symbol.asyncDispose]();
      throw err;
    }
    return {
      endpoint: deployer.endpoint,
      port: deployer.port,
      [Symbol.asyncDispose]: () => deployer[Symbol.asyncDispose](),
    };
  };
}

/** The bare-metal deployer a target naming this module gets: the lab deployer, no fault on. */
export const baremetalDeployer: BaremetalDeployerBinding = labBaremetalDeployer();
