import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';

/**
 * Bad input to the CLI and the environment, as a table: each row an argv and an environment; every one exits 2 with
 * a message naming the field, and nothing boots (no lab under the work root, no lab record for it).
 */
let root: string;
const tmpRoot = `/tmp/ucp-bad-input-${process.pid}`;
const registryDir = process.env.ULTRACLOUD_LAB_REGISTRY ?? '/run/ultracloud-proof/labs';

beforeAll(async () => {
  root = await workTempDir('bad-input-');
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'a-file'), 'not a directory\n');
  mkdirSync(join(root, 'no-flake'));
  writeFileSync(join(root, 'broken.json'), '{ "name": ');
  writeFileSync(join(root, 'unknown-field.json'), JSON.stringify({ ...validDescriptor(), bogusField: true }));
  writeFileSync(join(root, 'log.txt'), 'ULTRACLOUD_MARKER a\n');
  mkdirSync(join(root, 'surface', 'docs'), { recursive: true, mode: 0o755 });
  chmodSync(join(root, 'surface'), 0o755);
  chmodSync(join(root, 'surface', 'docs'), 0o755);
  writeFileSync(join(root, 'surface', 'docs', 'readable.md'), '# fine\n');
  writeFileSync(join(root, 'surface', 'docs', 'secret.md'), '# not for you\n', { mode: 0o000 });
  chmodSync(join(root, 'surface', 'docs', 'secret.md'), 0o000);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  rmSync(tmpRoot, { recursive: true, force: true });
});

/** A descriptor the schema accepts (one reference-lab node). */
function validDescriptor() {
  return {
    name: 'bad-input-lab',
    kind: 'reference-lab',
    flake: join(projectRoot, 'lab'),
    attributes: { profiles: {}, checks: [], apps: [], clusterLanes: [] },
    nodes: [
      {
        name: 'node01',
        role: 'control-plane',
        address: '10.249.255.11',
        launcher: { kind: 'lab-netns' },
        console: { kind: 'file', path: '/nonexistent/console.log' },
        ssh: { host: '10.249.255.11', port: 22, user: 'root' },
        services: {},
      },
    ],
  };
}

interface Row {
  name: string;
  argv: string[];
  /** extra environment (`work` names the row's work root; default: the test's own) */
  env?: (root: string) => Record<string, string>;
  /** what the message must name */
  names: (root: string) => string[];
  /** the whole of stderr is one line (unknown commands are followed by their usage) */
  oneLine?: boolean;
  /** run as an unprivileged user (root reads every file) */
  unprivileged?: boolean;
}

const up = ['cluster', 'up'];
const rows: Row[] = [
  {
    name: 'ULTRACLOUD_WORK_ROOT under /proc',
    argv: up,
    env: () => ({ ULTRACLOUD_WORK_ROOT: '/proc/ucp-bad-input' }),
    names: () => ['ULTRACLOUD_WORK_ROOT', '/proc'],
  },
  {
    name: 'ULTRACLOUD_WORK_ROOT pointing at a file',
    argv: up,
    env: (r) => ({ ULTRACLOUD_WORK_ROOT: join(r, 'a-file') }),
    names: () => ['ULTRACLOUD_WORK_ROOT', 'not a directory'],
  },
  {
    name: 'ULTRACLOUD_WORK_ROOT under /tmp (the lab refuses)',
    argv: up,
    env: () => ({ ULTRACLOUD_WORK_ROOT: tmpRoot }),
    names: () => ['ULTRACLOUD_WORK_ROOT', 'under /tmp'],
  },
  {
    name: 'ULTRACLOUD_TARGET_DESCRIPTOR naming a missing file',
    argv: up,
    env: (r) => ({ ULTRACLOUD_TARGET_DESCRIPTOR: join(r, 'missing.json') }),
    names: () => ['ULTRACLOUD_TARGET_DESCRIPTOR', 'missing.json'],
  },
  {
    name: 'ULTRACLOUD_TARGET_DESCRIPTOR naming invalid JSON',
    argv: up,
    env: (r) => ({ ULTRACLOUD_TARGET_DESCRIPTOR: join(r, 'broken.json') }),
    names: () => ['ULTRACLOUD_TARGET_DESCRIPTOR', 'not JSON'],
  },
  {
    name: 'ULTRACLOUD_TARGET_DESCRIPTOR with an unknown field',
    argv: up,
    env: (r) => ({ ULTRACLOUD_TARGET_DESCRIPTOR: join(r, 'unknown-field.json') }),
    names: () => ['ULTRACLOUD_TARGET_DESCRIPTOR', 'bogusField'],
  },
  {
    name: 'ULTRACLOUD_FLAKE naming a missing path',
    argv: up,
    env: (r) => ({ ULTRACLOUD_FLAKE: join(r, 'missing-checkout') }),
    names: () => ['ULTRACLOUD_FLAKE', 'no such directory'],
  },
  {
    name: 'ULTRACLOUD_FLAKE naming a directory without flake.nix',
    argv: up,
    env: (r) => ({ ULTRACLOUD_FLAKE: join(r, 'no-flake') }),
    names: () => ['ULTRACLOUD_FLAKE', 'flake.nix'],
  },
  {
    name: 'ULTRACLOUD_VM_ACCELERATOR=xyz',
    argv: up,
    env: () => ({ ULTRACLOUD_VM_ACCELERATOR: 'xyz' }),
    names: () => ['ULTRACLOUD_VM_ACCELERATOR', '"xyz"'],
  },
  {
    name: 'ULTRACLOUD_LAB_READY_TIMEOUT_MS=abc',
    argv: up,
    env: () => ({ ULTRACLOUD_LAB_READY_TIMEOUT_MS: 'abc' }),
    names: () => ['ULTRACLOUD_LAB_READY_TIMEOUT_MS', '"abc"'],
  },
  {
    name: 'ULTRACLOUD_QUICKSTART_KEEP_VM=yes',
    argv: up,
    env: () => ({ ULTRACLOUD_QUICKSTART_KEEP_VM: 'yes' }),
    names: () => ['ULTRACLOUD_QUICKSTART_KEEP_VM', '"yes"'],
  },
  {
    name: 'ULTRACLOUD_SHARD=3/2',
    argv: up,
    env: () => ({ ULTRACLOUD_SHARD: '3/2' }),
    names: () => ['ULTRACLOUD_SHARD', 'index above the count'],
  },
  {
    name: 'ULTRACLOUD_LAB_QUICKSTART_FAULTS with an unknown fault',
    argv: up,
    env: () => ({ ULTRACLOUD_LAB_QUICKSTART_FAULTS: 'omit:chainfire,explode' }),
    names: () => ['ULTRACLOUD_LAB_QUICKSTART_FAULTS', 'no-boot-marker'],
  },
  {
    name: 'proof --lane naming no lane',
    argv: ['proof', '--lane', 'no-such-lane'],
    names: () => ['--lane', 'no-such-lane'],
  },
  {
    name: 'final-proof --lane (its lane set is fixed)',
    argv: ['final-proof', '--lane', 'fresh-smoke'],
    names: () => ['--lane', 'fixed'],
  },
  {
    name: 'markers wait --timeout 9999999 (beyond a timer, must not overflow)',
    argv: ['markers', 'wait', '--timeout', '9999999', '--log', 'LOG', '--sequence', 'a'],
    names: () => ['--timeout', '9999999'],
  },
  {
    name: 'markers wait --log naming a directory',
    argv: ['markers', 'wait', '--timeout', '5', '--log', 'ROOT', '--sequence', 'a'],
    names: (r) => ['--log', r],
  },
  {
    name: 'guard supported-surface on an unreadable file',
    argv: ['guard', 'supported-surface', '--root', 'SURFACE'],
    names: (r) => [join(r, 'surface', 'docs', 'secret.md'), 'cannot be read'],
    unprivileged: true,
  },
  {
    name: 'guard supported-surface --layout toString',
    argv: ['guard', 'supported-surface', '--root', 'SURFACE', '--layout', 'toString'],
    names: () => ['--layout', '"toString"'],
  },
  {
    name: 'guard eval --flake /missing',
    argv: ['guard', 'eval', '--flake', '/missing'],
    names: () => ['--flake', '/missing'],
  },
  { name: 'an unknown command', argv: ['frobnicate'], names: () => ['"frobnicate"'], oneLine: false },
  { name: 'an unknown cluster subcommand', argv: ['cluster', 'frob'], names: () => ['"frob"'], oneLine: false },
  { name: 'an unknown guard', argv: ['guard', 'frob'], names: () => ['"frob"'], oneLine: false },
  { name: 'an unknown markers subcommand', argv: ['markers', 'frob'], names: () => ['frob'], oneLine: false },
  { name: 'an unknown option of cluster up', argv: ['cluster', 'up', '--frob'], names: () => ["'--frob'"] },
  { name: 'an unknown option of cluster matrix', argv: ['cluster', 'matrix', '--frob'], names: () => ["'--frob'"] },
  {
    name: 'an unknown option of cluster fresh-bench-storage',
    argv: ['cluster', 'fresh-bench-storage', '--frob'],
    names: () => ["'--frob'"],
  },
  {
    name: 'an extra argument to cluster fresh-matrix',
    argv: ['cluster', 'fresh-matrix', 'node01'],
    names: () => ["'node01'"],
  },
  {
    name: 'cluster serve-vm-webapp --name Bad_Name',
    argv: ['cluster', 'serve-vm-webapp', '--name', 'Bad_Name'],
    names: () => ['--name', '"Bad_Name"'],
  },
  {
    name: 'an unknown option of cluster serve-vm-webapp',
    argv: ['cluster', 'serve-vm-webapp', '--port', '8080'],
    names: () => ["'--port'"],
  },
  {
    name: 'an unknown option of markers wait',
    argv: ['markers', 'wait', '--frob', '--log', 'LOG', '--sequence', 'a'],
    names: () => ["'--frob'"],
  },
  { name: 'an unknown option of guard eval', argv: ['guard', 'eval', '--frob'], names: () => ["'--frob'"] },
  {
    name: 'an unknown option of work-root-budget',
    argv: ['work-root-budget', 'status', '--frob'],
    names: () => ["'--frob'"],
  },
  { name: 'an unknown budget mode', argv: ['work-root-budget', 'frob'], names: () => ['"frob"'], oneLine: false },
];

/** Lab records (the host's lab registry) whose state lives under `dir`. */
function labRecordsUnder(dir: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(registryDir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      return String(JSON.parse(readFileSync(join(registryDir, n), 'utf8')).stateDir).startsWith(dir);
    } catch {
      return false;
    }
  });
}

const asRoot = process.getuid?.() === 0;

describe('bad input to the CLI and the environment', () => {
  // each row is its own ucproof process; they wait on their own start-up, so several run at once
  it.concurrent.for(rows)('$name: exit 2 naming the field, nothing booted', async (row, { expect }) => {
    const argv = row.argv.map((a) =>
      a === 'LOG' ? join(root, 'log.txt') : a === 'ROOT' ? root : a === 'SURFACE' ? join(root, 'surface') : a,
    );
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      ULTRACLOUD_WORK_ROOT: root,
      ...(row.env?.(root) ?? {}),
    };
    const command = [
      process.execPath,
      '--disable-warning=ExperimentalWarning',
      join(projectRoot, 'cli/main.ts'),
      ...argv,
    ];
    const [file, ...args] =
      row.unprivileged && asRoot
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...command]
        : (command as [string, ...string[]]);
    const r = await execa(file as string, args, {
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
      cwd: projectRoot,
    });
    expect(r.exitCode, `${r.stderr}${r.stdout}`).toBe(2);
    const message = r.stderr.trim();
    const first = message.split('\n')[0] ?? '';
    for (const name of row.names(root)) expect(first, message).toContain(name);
    if (row.oneLine !== false) expect(message.split('\n'), message).toHaveLength(1);
    const work = env.ULTRACLOUD_WORK_ROOT as string;
    expect(existsSync(join(work, 'lab')), `a lab under ${work}`).toBe(false);
    expect(labRecordsUnder(work)).toEqual([]);
  });
});
