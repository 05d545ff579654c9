import { z } from 'zod';
import type { ServiceName } from '../profiles/descriptor-schema.ts';
import type { TargetIdentity } from '../profiles/result-schema.ts';
import type { AcceleratorMode, ProbeGuest } from './guest.ts';
import type { NodeHandle } from './node-handle.ts';
import type { ServicePorts } from './ports/index.ts';

/** The services of the single-node profile the quickstart proves, in the seed's order. */
export const quickstartServices = ['chainfire', 'flaredb', 'iam', 'prismnet', 'plasmavmc'] as const;
export type QuickstartService = (typeof quickstartServices)[number];

/** The machine-readable product-surface manifest a single-node system ships (ultracloud/product-surface@1). */
export const ProductSurface = z.object({
  profile: z.string().nullable().optional(),
  services: z.array(z.string()),
  components: z.array(z.string()),
});

/** What a service's health looks like from inside the guest. */
export interface GuestHealth {
  healthy: boolean;
  /** the answer as seen in the guest (status line, unit state, body) */
  detail: string;
  /**
   * When not healthy: the guest's own evidence that the service will not become healthy as the guest stands (it is
   * not in the guest's service list and nothing is still starting; it listens and answers, but not on the guest's
   * loopback). The lane fails at once on it. Absent while the service may still be on its way: the lane waits on.
   */
  settled?: string;
}

/**
 * The quickstart VM's services as seen from inside the guest: every call runs in the VM (over SSH), against the
 * guest's own loopback. What a target cannot do in its guest is left unbound (BindingRequiredError), and the lane
 * that needs it ends blocked, naming it.
 */
export interface QuickstartGuest {
  health(service: QuickstartService): Promise<GuestHealth>;
  /** the machine-readable product-surface manifest shipped in the VM, parsed */
  manifest(): Promise<unknown>;
  /** the five services' ports, each call made inside the guest */
  readonly ports: Pick<ServicePorts, QuickstartService>;
  /** `service.operation`s this guest cannot run */
  unbound(operations: readonly string[]): string[];
}

/** One booted quickstart VM. */
export interface QuickstartVm {
  /** the guest as a node: exec goes over SSH into the VM, power maps to the runner */
  readonly node: NodeHandle;
  readonly hostname: string;
  readonly serialLog: string;
  /**
   * A console line the guest prints only after the point its boot marker comes at (the lab guest's login prompt):
   * once it is on the console without the marker before it, the marker will not come. Unset: the lane waits out its
   * bound.
   */
  readonly afterBootMarker?: { line: string; what: string };
  readonly accelerator: { mode: AcceleratorMode; reason: string };
  readonly guest: QuickstartGuest;
  /** how a person reaches and stops a kept VM (the SSH command, the serial log, the stop command) */
  readonly reach: { ssh: string; serialLog: string; stop: string };
  /** facts for environment.txt */
  readonly facts: Record<string, string>;
  /** ends the VM; nothing of it runs afterwards */
  stop(): Promise<void>;
  /** leaves the VM running past this process, recorded so `ucproof cluster stop` and `clean` end it */
  keep(): Promise<void>;
}

export interface QuickstartBootOptions {
  accel: AcceleratorMode;
  /** state disk, console, runner log, config under here */
  stateDir: string;
  /** how long the VM may take to print its boot marker and answer SSH */
  bootTimeoutMs: number;
}

/** What the quickstart lanes run against: the target's flake outputs and its generated single-node VM runner. */
export interface QuickstartTarget {
  readonly name: string;
  identity?: TargetIdentity;
  /** the flake whose quickstart outputs the smoke lane reads */
  readonly flake: string;
  /** the guest the accelerator probe boots */
  probeGuest(): Promise<ProbeGuest>;
  /** build `nixosConfigurations.single-node-quickstart.config.system.build.vm` and boot it */
  boot(options: QuickstartBootOptions): Promise<QuickstartVm>;
}

export type { ServiceName };
