/** The outcome of forcing one flake attribute. */
export interface AttributeResult {
  /** the attribute path inside the flake, e.g. nixosConfigurations.node01.config.system.build.toplevel.drvPath */
  readonly attribute: string;
  readonly ok: boolean;
  /** the evaluated value (eval guard) or the built output paths (build guard) */
  readonly value?: string;
  /** nix's error, when not ok */
  readonly error?: string;
  readonly durationMs: number;
}

/** A profile guard found missing or broken attributes; the message names every one. */
export class ProfileGuardFailure extends Error {
  readonly failed: readonly AttributeResult[];
  constructor(guard: string, flake: string, failed: readonly AttributeResult[]) {
    super(
      `${guard}: ${failed.length} attribute(s) of ${flake} failed:\n${failed
        .map((r) => `  ${r.attribute}: ${r.error?.split('\n')[0] ?? 'failed'}`)
        .join('\n')}`,
    );
    this.name = 'ProfileGuardFailure';
    this.failed = failed;
  }
}

export function failedAttributes(results: readonly AttributeResult[]): AttributeResult[] {
  return results.filter((r) => !r.ok);
}

/** Run `fn` over `items` with at most `limit` in flight, keeping the input order in the output. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
