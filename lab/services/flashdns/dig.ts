import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DnsAnswer } from '../../../contracts/ports/flashdns.ts';

const run = promisify(execFile);

/** One non-recursive query on the wire with dig (bind9-dnsutils), parsed from its text output. */
export async function dig(
  server: string,
  port: number,
  name: string,
  type: string,
  timeoutMs = 3000,
): Promise<DnsAnswer> {
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  let stdout: string;
  try {
    ({ stdout } = await run(
      'dig',
      [
        `@${server}`,
        '-p',
        String(port),
        '+norec',
        `+time=${seconds}`,
        '+tries=1',
        '+noall',
        '+comments',
        '+answer',
        name,
        type,
      ],
      { timeout: timeoutMs + 2000 },
    ));
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    throw new Error(`dig @${server} -p ${port} ${name} ${type} failed: ${(e.stdout || e.message).trim()}`);
  }
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1];
  if (!status) throw new Error(`dig @${server} -p ${port} ${name} ${type} got no answer: ${stdout.trim()}`);
  const flags = (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const answers = stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => {
      const [owner = '', ttl = '0', , rtype = '', ...rest] = l.split(/\s+/);
      return { name: owner, ttl: Number(ttl), type: rtype, value: rest.join(' ') };
    });
  return { status, flags, authoritative: flags.includes('aa'), answers };
}
