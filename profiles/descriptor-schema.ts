import { z } from 'zod';
import { InvalidInputError } from './invalid-input.ts';

/**
 * A target descriptor: everything a lane needs to know about a target. The reference lab and the real
 * UltraCloud monorepo are two descriptors of this one schema.
 */

export const serviceNames = [
  'chainfire',
  'flaredb',
  'iam',
  'plasmavmc',
  'prismnet',
  'flashdns',
  'fiberlb',
  'lightningstor',
  'coronafs',
  'apigateway',
  'nightlight',
  'creditservice',
  'k8shost',
  'deployer',
  'nix-agent',
  'fleet-scheduler',
  'node-agent',
] as const;
export const ServiceName = z.enum(serviceNames);
export type ServiceName = z.infer<typeof ServiceName>;

export const NodeRole = z.enum(['control-plane', 'worker', 'gateway', 'installer']);
export type NodeRole = z.infer<typeof NodeRole>;

/** How a node is started: a lab network-namespace host, a QEMU VM from a generated NixOS runner, or a lab image. */
export const NodeLauncher = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('lab-netns') }),
  z.strictObject({
    kind: z.literal('nixos-vm-runner'),
    /** flake attribute whose build output holds bin/run-<host>-vm */
    attribute: z.string().min(1),
    /** extra QEMU options appended through QEMU_OPTS */
    qemuOpts: z.array(z.string()).default([]),
    /** slirp forwards on loopback, set through QEMU_NET_OPTS (`hostfwd=tcp:127.0.0.1:<host>-:<guest>`) */
    hostForwards: z
      .array(
        z.strictObject({
          protocol: z.enum(['tcp', 'udp']).default('tcp'),
          hostPort: z.number().int().min(1).max(65535),
          guestPort: z.number().int().min(1).max(65535),
        }),
      )
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('qemu-image'),
    kernel: z.string().min(1),
    initrd: z.string().min(1),
    append: z.string().default(''),
    memoryMiB: z.number().int().positive().default(256),
  }),
]);
export type NodeLauncher = z.infer<typeof NodeLauncher>;

export const Endpoint = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  scheme: z.enum(['http', 'https', 'tcp', 'udp', 'dns', 'etcd']).default('http'),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const NodeSpec = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'node names are lower-case host names'),
  role: NodeRole,
  /** address other nodes and the harness reach this node at */
  address: z.string().min(1),
  launcher: NodeLauncher,
  /** where the node's serial or console output can be followed */
  console: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('file'), path: z.string().min(1) }),
    z.strictObject({ kind: z.literal('serial-socket'), path: z.string().min(1) }),
  ]),
  ssh: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    user: z.string().default('root'),
  }),
  services: z.partialRecord(ServiceName, Endpoint).default({}),
  /** a service's further listeners, keyed `<service>.<purpose>`: `chainfire.etcd`, `flashdns.dns`, ... */
  extraEndpoints: z.record(z.string().regex(/^[a-z-]+\.[a-z-]+$/, 'keys are <service>.<purpose>'), Endpoint).optional(),
});
export type NodeSpec = z.infer<typeof NodeSpec>;

/** The targets this suite ships a driver for (targets/registry.ts). */
export const builtInTargetKinds = ['reference-lab', 'ultracloud-monorepo'] as const;
export type BuiltInTargetKind = (typeof builtInTargetKinds)[number];

export const TargetDescriptor = z
  .strictObject({
    name: z.string().min(1),
    /** which target driver boots and connects to it (targets/registry.ts), or any name when `driver` names one */
    kind: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a lower-case name such as ultracloud-monorepo'),
    /** path of the flake whose attributes the guards and launchers use */
    flake: z.string().min(1),
    /** canonical flake attributes and commands, named exactly as the seed names them */
    attributes: z.strictObject({
      profiles: z.record(z.string(), z.array(z.string())),
      checks: z.array(z.string()),
      apps: z.array(z.string()),
      clusterLanes: z.array(z.string()),
      /** buildable packages (`nix build .#<name>`) */
      packages: z.array(z.string()).optional(),
      /** other commands and wrappers the seed names, as written (`./nix/test-cluster/run-publishable-kvm-suite.sh`) */
      commands: z.array(z.string()).optional(),
    }),
    nodes: z.array(NodeSpec).min(1),
    /**
     * a module (path relative to the descriptor file, or absolute) whose default export binds service ports for this
     * target; loaded at run time and checked against the port contracts (contracts/ports/). Its optional named
     * export `baremetalDeployer` (contracts/baremetal-target.ts) starts the target's own deployer for the
     * bare-metal ISO install; without it that lane is blocked
     */
    bindings: z.string().min(1).optional(),
    /** a module providing the target driver itself (boot, connect), for a target this suite does not ship */
    driver: z.string().min(1).optional(),
    /**
     * what a target's VM runners need from the harness: the private key root logs in with on the VMs (a test key
     * the checkout names; relative to the descriptor file) and environment every `run-<node>-vm` reads
     */
    vm: z
      .object({
        sshKey: z.string().min(1).optional(),
        runnerEnvironment: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).optional(),
      })
      .optional(),
  })
  .refine((d) => d.driver !== undefined || builtInTargetKinds.includes(d.kind as BuiltInTargetKind), {
    path: ['kind'],
    message: `unknown target kind: one of ${builtInTargetKinds.join(', ')} unless "driver" names a module`,
  });
export type TargetDescriptor = z.infer<typeof TargetDescriptor>;

/**
 * Parse input and report the offending fields' paths on one line, e.g.
 * `invalid target descriptor t.json: nodes[3].ssh.port: Too big; nodes[0].sshh: unknown field`.
 */
export function parseOrExplain<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  const problems = res.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: formatPath([...i.path, k]), message: 'unknown field' }))
      : [{ field: formatPath(i.path), message: i.message.replace(/\s*\n\s*/g, ' ') }],
  );
  throw new InvalidInputError(
    `invalid ${what}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    problems.map((p) => p.field),
  );
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

export { InvalidInputError };
