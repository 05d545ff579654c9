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
