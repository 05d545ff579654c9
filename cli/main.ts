import { HarnessError } from '../contracts/errors.ts';
import { InvalidInputError } from '../profiles/descriptor-schema.ts';
import { UsageError } from './usage.ts';

/**
 * ucproof: the operator commands of UltraCloud Proof. Each command lives in cli/commands/<name>.ts and exports
 * `run(argv): Promise<number>` and `summary`.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  proof: { summary: 'run the publishable suite on the selected target', load: () => import('./commands/proof.ts') },
  markers: {
    summary: 'wait for ULTRACLOUD_MARKER sequences in a (growing) log',
    load: () => import('./commands/markers.ts'),
  },
  guard: { summary: 'supported-surface, eval and build guards', load: () => import('./commands/guard.ts') },
  'work-root-budget': {
    summary: 'status | enforce | cleanup-advice | prune-proof-logs N',
    load: () => import('./commands/work-root-budget.ts'),
  },
  cluster: {
    summary: 'up | status | logs NODE | ssh NODE [-- CMD] | stop | clean',
    load: () => import('./commands/cluster.ts'),
  },
  'baremetal-iso-e2e': {
    summary: 'materialized bare-metal ISO proof runner (requires KVM)',
    load: () => import('./commands/baremetal-iso-e2e.ts'),
  },
  'hardware-smoke': { summary: 'preflight | run | capture', load: () => import('./commands/hardware-smoke.ts') },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: ucproof <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "run 'ucproof <command> --help' for a command's options",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ucproof: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidInputError) {
      process.stderr.write(`ucproof ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof HarnessError) {
      process.stderr.write(`ucproof ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ucproof: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
