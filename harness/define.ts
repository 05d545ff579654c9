import type { EventuallyOptions } from '../helpers/retry.ts';
import type { LaneStatus } from '../profiles/result-schema.ts';

/**
 * How a proof lane is written. A lane reads like the seed's paragraph about it: one titled step per sentence,
 * named checks inside each step. The same definition runs as a Vitest test (tests/<group>/<lane>.test.ts),
 * from the CLI, and under a faulted lab in the lane's negative tests.
 */
/**
 * Vitest tags a lane carries, so `vitest --tags-filter` selects lanes the way the Kubernetes e2e labels do
 * (`--tags-filter='vm && !kvm'`). Defined once here; vitest.config.ts declares them.
 */
export const laneTags = {
  kvm: 'needs working KVM: blocked without it',
  vm: 'boots QEMU guests (KVM when it works, TCG otherwise)',
  slow: 'takes minutes, not seconds, on a two-core host',
  disruptive: 'restarts, kills or reconfigures parts of the shared cluster while it runs',
  'needs-root': 'needs root on the host (network namespaces, bridges, iptables)',
} as const;
export type LaneTag = keyof typeof laneTags;

export interface LaneDefinition<C = unknown> {
  /** the seed's lane name, e.g. "chainfire-live-membership-proof" */
  readonly name: string;
  readonly group: 'guards' | 'portable' | 'quickstart' | 'publishable' | 'baremetal' | 'companion' | 'lab';
  /** one line from the seed describing what the lane proves */
  readonly summary: string;
  /** the Vitest tags of the lane's test */
  readonly tags?: readonly LaneTag[];
  /** a scope-fixed contract this lane writes into its proof root as scope-fixed-contract.json */
  readonly scopeContract?: Record<string, unknown>;
  /**
   * the `service.operation`s the lane calls on its target's ports: a target that binds any of them not ends the
   * lane blocked before its first step, listing every missing one
   */
  readonly requires?: readonly string[];
  run(ctx: LaneContext<C>): Promise<void>;
}

export interface LaneContext<C = unknown> {
  /** what the lane runs against (the cluster handle, or a target for cluster-less lanes) */
  readonly target: C;
  /** absolute path of this run's proof root, work/<lane>/<run-id> */
  readonly proofRoot: string;
  readonly signal: AbortSignal;
  /** run a titled step; steps nest; each is timed and recorded as it happens */
  step<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** a named check; a false one fails the lane as a violated property of the current step */
  check(property: string, ok: boolean, detail?: string): void;
  /** retry `probe` until it resolves; past the deadline the lane fails with `property` violated */
  eventually<T>(property: string, probe: () => Promise<T>, options?: EventuallyOptions): Promise<T>;
  /**
   * read `probe` until `predicate` holds on what it returns (no throwing inside probes); past the deadline the lane
   * fails with `property` violated, naming the last value seen. A probe that throws is retried like a miss.
   */
  until<T>(
    property: string,
    probe: () => Promise<T>,
    predicate: (value: T) => boolean,
    options?: EventuallyOptions,
  ): Promise<T>;
  /**
   * register an undo (heal a fault, power a node on, delete what the lane made). Undos run when the lane ends,
   * passed or not, newest first, each as a step titled "undo: <title>"; a failed undo fails a lane that passed.
   */
  defer(title: string, undo: () => Promise<void>): void;
  /**
   * inject `fault`, run `body`, heal it, and wait until the fault's recovery check holds, each as a step; the heal
   * is registered as an undo first, so it also runs when `body` fails. `noFault` runs `body` alone.
   */
  withFault<T>(fault: Fault, body: () => Promise<T>): Promise<T>;
  /** write an artifact into the proof root (secrets redacted); returns its path */
  artifact(name: string, content: string | Uint8Array | object): Promise<string>;
  /** mark the lane blocked: the named requirements are missing on this host */
  block(missing: string[]): never;
  log(message: string): void;
  /** environment facts that end up in environment.txt and result.json (e.g. vm_accelerator_mode) */
  recordEnvironment(facts: Record<string, string>): void;
}

/** A fault as a part (Jepsen's nemesis): how to inject it, heal it, and see that the target recovered. */
export interface Fault {
  readonly name: string;
  inject(): Promise<void>;
  heal(): Promise<void>;
  /** resolves once the property the fault broke holds again (polled within timeouts.recovery) */
  recovered?(): Promise<boolean>;
}

/** The no-op fault: `withFault(noFault, body)` is `body()`; lets one lane body run faulted and not. */
export const noFault: Fault = { name: 'no fault', inject: async () => {}, heal: async () => {} };

export type { LaneStatus };

export function defineLane<C>(def: LaneDefinition<C>): LaneDefinition<C> {
  return def;
}
