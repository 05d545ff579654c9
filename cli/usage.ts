import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Bad command-line input: printed with the command's name, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** node:util parseArgs, with unknown options and bad values turned into UsageError naming the option. */
export function parseCommandArgs<T extends ParseArgsConfig>(argv: string[], config: T) {
  try {
    return parseArgs({ ...config, args: argv, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function requirePositiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${raw}"`);
  return n;
}
