import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HarnessError } from '../../contracts/errors.ts';

const run = promisify(execFile);

/** Run `ip <args>` and return stdout; a failure names the command and ip's own message. */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 15_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new HarnessError(`"ip ${args.join(' ')}" failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

/** Like ip(), but a missing object (already deleted) is not an error: used by teardown. */
export async function ipQuiet(...args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 15_000 });
  } catch {
    // the object is already gone
  }
}

export async function ipJson<T>(...args: string[]): Promise<T> {
  const out = await ip('-j', ...args);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

export async function listNetns(): Promise<string[]> {
  const list = await ipJson<Array<{ name: string }>>('netns', 'list');
  return list.map((n) => n.name);
}

export async function listLinks(): Promise<
  Array<{ ifname: string; addr_info?: Array<{ local: string; prefixlen: number; family: string }> }>
> {
  return await ipJson('addr', 'show');
}

/**
 * Several ip commands in one `ip -batch -` process (one line each, as on the command line without "ip"); with
 * `force`, ip goes on past a failing line and nothing is an error (removal of pieces that may be gone); with
 * `netns`, every line runs inside that namespace.
 */
export async function ipBatch(
  lines: readonly string[],
  options: { force?: boolean; netns?: string } = {},
): Promise<void> {
  const args = [...(options.netns ? ['-n', options.netns] : []), ...(options.force ? ['-force'] : []), '-batch', '-'];
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', args, { timeout: 15_000 }, (err, _stdout, stderr) => {
      if (err && !options.force) {
        reject(new HarnessError(`"ip -batch" of ${lines.length} commands failed: ${(stderr || err.message).trim()}`));
      } else resolve();
    });
    child.stdin?.end(`${lines.join('\n')}\n`);
  });
}
