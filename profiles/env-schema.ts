import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidInputError, serviceNames } from './descriptor-schema.ts';
import { selectTarget } from './load-descriptor.ts';
import { workRoot } from './paths.ts';

/**
 * The environment UltraCloud Proof reads, as one schema: every ULTRACLOUD_* variable the harness, the lanes and
 * the commands honour (and the PHOTON_CLUSTER_NIX_* aliases the guards accept). Checked at the start of `ucproof`
 * and of a Vitest run (vitest.config.ts, the cluster global setup), so a bad value is one line naming the variable
 * before anything boots. An empty value counts as unset.
 */

/** setTimeout's largest delay (2^31 - 1 ms); a longer one fires at once. */
export const maxTimerMs = 2 ** 31 - 1;

const flag = z.enum(['0', '1'], { error: 'must be 0 or 1' });
const milliseconds = z
  .string()
  .regex(/^\d+$/, 'must be a positive integer number of milliseconds')
  .refine((s) => Number(s) >= 1, 'must be a positive integer number of milliseconds')
  .refine((s) => Number(s) <= maxTimerMs, `must be at most ${maxTimerMs} ms (about 24.8 days)`);
const positiveInteger = z
  .string()
  .regex(/^\s*\d+\s*$/, 'must be a positive integer')
  .refine((s) => Number(s) >= 1, 'must be a positive integer');
const gib = z
  .string()
  .regex(/^\s*\d*\.?\d+\s*$/, 'must be a positive number of GiB')
  .refine((s) => Number(s) > 0, 'must be a positive number of GiB');
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a name of letters, digits, ".", "_" and "-"');
const nonBlank = z.string().refine((s) => s.trim() !== '', 'is blank');
const port = (s: string) => /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

const existingFile = nonBlank.refine((p) => isFile(p), 'names no existing file');
const serviceList = z
  .string()
  .refine(
    (raw) => listItems(raw).every((s) => (serviceNames as readonly string[]).includes(s)),
    `must be a comma-separated list of services (${serviceNames.join(', ')})`,
  );
const faultList = z
  .string()
  .refine(
    (raw) => listItems(raw).every((item) => /^[a-z0-9-]+:[a-z0-9-]+(?:@[a-z0-9-]+)?$/.test(item)),
    'must be <service>:<fault>[@<node>],...',
  )
  .refine(
    (raw) => listItems(raw).every((item) => (serviceNames as readonly string[]).includes(item.split(':')[0] ?? '')),
    `names an unknown service (known: ${serviceNames.join(', ')})`,
  );

export const ProofEnvironment = z
  .object({
    // where things go and what is tested
    ULTRACLOUD_WORK_ROOT: nonBlank,
    ULTRACLOUD_TARGET_DESCRIPTOR: nonBlank,
    ULTRACLOUD_FLAKE: nonBlank,
    ULTRACLOUD_BINDINGS: existingFile,
    ULTRACLOUD_SURFACE_ROOT: nonBlank,
    ULTRACLOUD_SUITE_NAME: name,
    ULTRACLOUD_RUN_ID: name,
    ULTRACLOUD_TARGET_NAME: nonBlank,
    /** set from `--shard=i/n` by vitest.config.ts; a CI job may set it itself */
    ULTRACLOUD_SHARD: z
      .string()
      .regex(/^[1-9]\d*\/[1-9]\d*$/, 'must be <index>/<count>, e.g. 1/2')
      .refine((s) => {
        const [i, n] = s.split('/').map(Number);
        return (i as number) <= (n as number);
      }, 'has an index above the count'),
    // how clusters and VMs run
    ULTRACLOUD_VM_ACCELERATOR: z.enum(['kvm', 'tcg', 'auto'], { error: 'must be kvm, tcg or auto' }),
    ULTRACLOUD_VM_ACCELERATOR_MODE: z.enum(['kvm', 'tcg', 'none'], { error: 'must be kvm, tcg or none' }),
    ULTRACLOUD_REQUIRE_KVM: flag,
    ULTRACLOUD_KEEP_CLUSTER: flag,
    ULTRACLOUD_KEEP_LAB_STATE: flag,
    ULTRACLOUD_RESTORE: z.enum(['lane', 'dirty', 'never'], { error: 'must be lane, dirty or never' }),
    ULTRACLOUD_LAB_FAULTS: faultList,
    ULTRACLOUD_LAB_SERVICES: serviceList,
    ULTRACLOUD_QUICKSTART_KEEP_VM: flag,
    ULTRACLOUD_LAB_QUICKSTART_FAULTS: z
      .string()
      .regex(
        /^((omit|nic-only|stall):[a-z-]+|manifest-extra:[a-z0-9-]+|no-boot-marker)(,((omit|nic-only|stall):[a-z-]+|manifest-extra:[a-z0-9-]+|no-boot-marker))*$/,
        {
          error:
            'must be a comma-separated list of omit:<service>, nic-only:<service>, stall:<service>, manifest-extra:<component> or no-boot-marker',
        },
      ),
    ULTRACLOUD_LAB_READY_TIMEOUT_MS: milliseconds,
    ULTRACLOUD_VM_BOOT_TIMEOUT_MS: milliseconds,
    ULTRACLOUD_VM_BUILD_TIMEOUT_MS: milliseconds,
    ULTRACLOUD_VM_SSH_KEY: existingFile,
    ULTRACLOUD_BAREMETAL_SSH_PORTS: z.string().refine((s) => {
      const parts = s.split(',').map((p) => p.trim());
      return parts.length === 2 && parts.every(port);
    }, 'must be "<control>,<worker>" ports'),
    ULTRACLOUD_GUEST_KERNEL_DIR: nonBlank,
    ULTRACLOUD_IMAGE_CACHE: nonBlank,
    ULTRACLOUD_QEMU: nonBlank,
    // guards
    ULTRACLOUD_NIX_OFFLINE: flag,
    ULTRACLOUD_LOCAL_NIX_MAX_JOBS: positiveInteger,
    ULTRACLOUD_LOCAL_NIX_BUILD_CORES: positiveInteger,
    PHOTON_CLUSTER_NIX_MAX_JOBS: positiveInteger,
    PHOTON_CLUSTER_NIX_BUILD_CORES: positiveInteger,
    ULTRACLOUD_WORK_ROOT_BUDGET_GIB: gib,
    ULTRACLOUD_WORK_ROOT_STATE_BUDGET_GIB: gib,
    ULTRACLOUD_WORK_ROOT_DISPOSABLE_BUDGET_GIB: gib,
    ULTRACLOUD_WORK_ROOT_PROOF_LOGS_BUDGET_GIB: gib,
    // hardware-smoke (its flags win over these)
    ULTRACLOUD_BMC_URL: httpUrl,
    ULTRACLOUD_BMC_AUTH: z.enum(['basic', 'session'], { error: 'must be basic or session' }),
    ULTRACLOUD_BMC_INSECURE: flag,
    ULTRACLOUD_ISO_URL: httpUrl,
    ULTRACLOUD_DEPLOYER_URL: httpUrl,
    ULTRACLOUD_CA_CERT_URL: httpUrl,
    ULTRACLOUD_BINARY_CACHE_URL: httpUrl,
    ULTRACLOUD_ALLOW_UNAUTHENTICATED: flag,
    ULTRACLOUD_HARDWARE_SSH: z.string().regex(/^[^@\s]+@[^:\s]+(?::\d+)?$/, 'must be user@host[:port]'),
    ULTRACLOUD_HARDWARE_TIMEOUT_MS: milliseconds,
  })
  .partial();
export type ProofEnvironment = z.infer<typeof ProofEnvironment>;

/** The variables the schema knows, in its order. */
export const environmentVariables = Object.keys(ProofEnvironment.shape) as (keyof ProofEnvironment)[];

/**
 * Check the environment's values (formats, ranges, files and directories they name) and the target it selects:
 * ULTRACLOUD_TARGET_DESCRIPTOR's file must be a valid descriptor, ULTRACLOUD_FLAKE's checkout a directory with
 * a flake.nix (a flake reference with a scheme, for the guards, is left to nix), ULTRACLOUD_BINDINGS a file used
 * with ULTRACLOUD_FLAKE. Throws an InvalidInputError whose one-line message names every bad variable.
 */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): ProofEnvironment {
  const present: Record<string, string> = {};
  for (const key of environmentVariables) {
    const value = env[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  const res = ProofEnvironment.safeParse(present);
  if (!res.success) {
    // one problem per variable: the first its value breaks (a non-number is not also "too large")
    const problems: Array<{ variable: string; text: string }> = [];
    for (const i of res.error.issues) {
      const variable = String(i.path[0]);
      if (problems.some((p) => p.variable === variable)) continue;
      problems.push({ variable, text: `${variable}: ${i.message}, got "${present[variable] ?? ''}"` });
    }
    throw new InvalidInputError(
      problems.map((p) => p.text).join('; '),
      problems.map((p) => p.variable),
    );
  }
  const vars = res.data;
  if (vars.ULTRACLOUD_BINDINGS && !vars.ULTRACLOUD_FLAKE) {
    throw new InvalidInputError(
      `ULTRACLOUD_BINDINGS: binds the ULTRACLOUD_FLAKE target, but ULTRACLOUD_FLAKE is not set (a descriptor names its own "bindings")`,
      ['ULTRACLOUD_BINDINGS'],
    );
  }
  const remoteFlake = vars.ULTRACLOUD_FLAKE !== undefined && /^[a-z][a-z0-9+]*:/.test(vars.ULTRACLOUD_FLAKE.trim());
  if (vars.ULTRACLOUD_TARGET_DESCRIPTOR || (vars.ULTRACLOUD_FLAKE && !remoteFlake)) selectTarget(env);
  return vars;
}

/**
 * The work root must be a writable directory, or creatable as one: it is created when missing and probed with a
 * file written and removed. Anything else (a file, a path under /proc, a read-only mount) is an InvalidInputError
 * naming ULTRACLOUD_WORK_ROOT. Returns the work root.
 */
export function checkWorkRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = workRoot(env);
  const named = env.ULTRACLOUD_WORK_ROOT
    ? `ULTRACLOUD_WORK_ROOT="${env.ULTRACLOUD_WORK_ROOT}"`
    : 'ULTRACLOUD_WORK_ROOT';
  const refuse = (why: string): never => {
    throw new InvalidInputError(`${named}: the work root ${root} ${why}`, ['ULTRACLOUD_WORK_ROOT']);
  };
  if (root === '/proc' || root.startsWith('/proc/') || root === '/sys' || root.startsWith('/sys/')) {
    refuse('is on a kernel file system (/proc, /sys), not a place for proof roots');
  }
  for (let p = root; ; p = dirname(p)) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory()) refuse(p === root ? 'is not a directory' : `cannot be created: ${p} is a file`);
      break;
    }
    if (dirname(p) === p) break;
  }
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    refuse(`cannot be created (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const probe = join(root, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
  } catch (err) {
    refuse(`is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  rmSync(probe, { force: true });
  return root;
}

function listItems(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function isFile(path: string): boolean {
  try {
    return statSync(resolve(path.trim())).isFile();
  } catch {
    return false;
  }
}
