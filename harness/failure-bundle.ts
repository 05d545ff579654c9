import { closeSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redact } from '../helpers/redact.ts';
import type { LaneResult } from '../profiles/result-schema.ts';

/** The folder of a failed or interrupted lane's evidence, in its proof root. */
export const failureBundleDir = 'failure';

/** How many bytes of each log's end the bundle keeps (the failure is what the log ends with). */
export const logTailBytes = 64 * 1024;

/** Where a lane's evidence comes from; proofLane builds it from the lane's target. */
export interface FailureEvidence {
  /** the one command that reruns just this lane (against the kept cluster) */
  rerun: string;
  /** the logs the lane can read on this host: name in the bundle (node/console.log) → path */
  logs(): Array<{ name: string; path: string }>;
  /**
   * the cluster state the lane touched (`touched`: the `service.operation`s it called), each part read within a
   * bound; a part that cannot be read says why
   */
  state?(touched: readonly string[]): Promise<Record<string, unknown>>;
}

/**
 * Write failure/ into a failed or interrupted lane's proof root: failure.txt (verdict, failure class, failed step
 * and message), rerun.txt, logs/<node>/<file> (each log's last 64 KiB, secrets redacted). Synchronous, so the
 * process's exit hook can write it when a run is interrupted. Returns the bundle's path relative to the root.
 */
export function writeFailureBundleSync(proofRoot: string, result: LaneResult, evidence: FailureEvidence): string {
  const dir = join(proofRoot, failureBundleDir);
  mkdirSync(dir, { recursive: true });
  const f = result.failure;
  const summary = [
    `lane=${result.lane}`,
    `run_id=${result.runId}`,
    `status=${result.status}`,
    `failure_class=${result.failureClass ?? 'none'}`,
    `kind=${f?.kind ?? 'none'}`,
    `step=${f?.stepPath.join(' › ') ?? ''}`,
    ...(f?.property ? [`property=${f.property}`] : []),
    `message=${f?.message ?? ''}`,
    '',
  ].join('\n');
  writeSync(join(dir, 'failure.txt'), redact(summary));
  writeSync(join(dir, 'rerun.txt'), `${redact(evidence.rerun)}\n`);
  const index: string[] = [];
  let sources: Array<{ name: string; path: string }> = [];
  try {
    sources = evidence.logs();
  } catch (err) {
    index.push(`(logs not listed: ${(err as Error).message})`);
  }
  for (const { name, path } of sources) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(name) || name.includes('..')) continue;
    try {
      const { text, size } = tail(path, logTailBytes);
      writeSync(join(dir, 'logs', name), redact(text));
      index.push(`${name} <- ${path} (last ${Math.min(size, logTailBytes)} of ${size} bytes)`);
    } catch (err) {
      index.push(`${name} <- ${path} (unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  writeSync(join(dir, 'logs.txt'), `${redact(index.join('\n'))}\n`);
  return failureBundleDir;
}

/** The synchronous bundle, then the cluster state the lane touched (state.json), read within `boundMs`. */
export async function writeFailureBundle(
  proofRoot: string,
  result: LaneResult,
  evidence: FailureEvidence,
  boundMs = 20_000,
): Promise<string> {
  const rel = writeFailureBundleSync(proofRoot, result, evidence);
  if (evidence.state) {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<Record<string, unknown>>((resolve) => {
      timer = setTimeout(() => resolve({ error: `cluster state not read within ${boundMs} ms` }), boundMs);
    });
    const state = await Promise.race([
      evidence
        .state(result.bindings?.used ?? [])
        .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
      bound,
    ]);
    clearTimeout(timer);
    writeSync(join(proofRoot, rel, 'state.json'), redact(`${JSON.stringify(state, null, 2)}\n`));
  }
  return rel;
}

/** Settle `read` within `ms`: its value, or what went wrong ({ error }). For the parts of a cluster state. */
export async function bounded<T>(read: () => Promise<T>, ms = 5_000): Promise<T | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<{ error: string }>((resolve) => {
        timer = setTimeout(() => resolve({ error: `no answer within ${ms} ms` }), ms);
      }),
    ]);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** A POSIX-shell word for `value`. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** ULTRACLOUD_* variables a rerun needs as they were; the run's own identity and anything secret-shaped are left out. */
const notCarried = /^ULTRACLOUD_(RUN_ID|SUITE_NAME)$|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/;

/**
 * The command that reruns just `lane` from `file` (relative to `cwd`): `npx vitest run <file> -t '^<lane>$'` with
 * the ULTRACLOUD_* environment that chose the target, and ULTRACLOUD_KEEP_CLUSTER=1 for a cluster lane so the
 * cluster is kept (and reused by the next rerun).
 */
export function rerunCommand(options: {
  cwd: string;
  file: string;
  lane: string;
  keepCluster: boolean;
  env?: NodeJS.ProcessEnv;
}): string {
  const env = options.env ?? process.env;
  const vars = Object.entries(env)
    .filter(([k, v]) => k.startsWith('ULTRACLOUD_') && v !== undefined && v !== '' && !notCarried.test(k))
    .filter(([k]) => !(options.keepCluster && k === 'ULTRACLOUD_KEEP_CLUSTER'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${shellQuote(v as string)}`);
  if (options.keepCluster) vars.unshift('ULTRACLOUD_KEEP_CLUSTER=1');
  const pattern = `^${options.lane.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return [
    'cd',
    shellQuote(options.cwd),
    '&&',
    ...vars,
    'npx vitest run',
    shellQuote(options.file),
    '-t',
    shellQuote(pattern),
  ].join(' ');
}

function tail(path: string, bytes: number): { text: string; size: number } {
  const { size } = statSync(path);
  const start = Math.max(0, size - bytes);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    let text = buf.subarray(0, n).toString('utf8');
    // start at a line, not in the middle of one
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    return { text, size };
  } finally {
    closeSync(fd);
  }
}

function writeSync(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
