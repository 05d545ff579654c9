import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { AclRule, NetState } from './model.ts';

const run = promisify(execFile);
const chain = 'PRISMNET';

async function cmd(file: string, args: string[]): Promise<string> {
  try {
    return (await run(file, args, { timeout: 15_000 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`"${file} ${args.join(' ')}" failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

export interface DataplaneFaults {
  /** deny as REJECT (acl-deny-rejects) */
  denyRejects: boolean;
  /** rules matching all (acl-rule-ignores-match) */
  ignoresMatch: boolean;
  /** the ACL chain hooked into INPUT only, so traffic forwarded to a VM's tap escapes it (acl-not-on-forward) */
  notOnForward: boolean;
}

/**
 * PrismNet's dataplane in this node's network namespace: one Linux bridge per tenant network holding its
 * gateway address (the node routes between its tenant networks and the lab network), the security-group ACLs of
 * every port as iptables rules in one chain that INPUT and FORWARD jump to (replaced atomically with
 * iptables-restore), and a proxy-ARP entry per port on the node's uplink, so the lab network delivers a port's
 * address to the worker that carries the port (the lab routes the tenant address range on-link: lab/README.md).
 */
export class Dataplane {
  /** fault switches read at each programming */
  private readonly faults: () => DataplaneFaults;
  /** this node's lab address: the uplink is the interface holding it */
  private readonly host: string | undefined;
  constructor(
    faults = (): DataplaneFaults => ({ denyRejects: false, ignoresMatch: false, notOnForward: false }),
    host?: string,
  ) {
    this.faults = faults;
    this.host = host;
  }

  private queue: Promise<unknown> = Promise.resolve();

  async ensureBridge(bridge: string, gateway: string, prefix: number): Promise<void> {
    const links = await cmd('ip', ['-j', 'link', 'show']);
    if (!(JSON.parse(links) as Array<{ ifname: string }>).some((l) => l.ifname === bridge)) {
      await cmd('ip', ['link', 'add', bridge, 'type', 'bridge']);
    }
    await cmd('ip', ['addr', 'replace', `${gateway}/${prefix}`, 'dev', bridge]);
    await cmd('ip', ['link', 'set', bridge, 'up']);
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
  }

  async removeBridge(bridge: string): Promise<void> {
    await cmd('ip', ['link', 'del', bridge]).catch(() => undefined);
  }

  /** program every port's ACLs as the desired state holds them, in rule order (first match wins) */
  program(state: NetState): Promise<void> {
    const next = this.queue.then(() => this.apply(state));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async apply(state: NetState): Promise<void> {
    const lines = ['*filter', `:${chain} - [0:0]`];
    for (const port of Object.values(state.ports)) {
      // security groups are stateful, as PrismNet's are: the answers to a connection the port itself opened come
      // back whatever its rules say of new connections from that peer
      if (port.securityGroups.length > 0) lines.push(statefulLine(port.ip));
      for (const sgId of port.securityGroups) {
        for (const rule of state.securityGroups[sgId]?.rules ?? []) lines.push(ruleLine(port.ip, rule, this.faults()));
      }
    }
    lines.push('COMMIT', '');
    await restore(lines.join('\n'));
    const notOnForward = this.faults().notOnForward;
    for (const hook of ['INPUT', 'FORWARD']) {
      const present = await run('iptables', ['-w', '-C', hook, '-j', chain]).then(
        () => true,
        () => false,
      );
      const wanted = !(hook === 'FORWARD' && notOnForward);
      if (wanted && !present) await cmd('iptables', ['-w', '-I', hook, '1', '-j', chain]);
      if (!wanted && present) await cmd('iptables', ['-w', '-D', hook, '-j', chain]);
    }
    await this.proxyPorts(state);
  }

  /** answer ARP on the uplink for exactly the port addresses this node carries */
  private async proxyPorts(state: NetState): Promise<void> {
    const uplink = await this.uplink();
    if (!uplink) return;
    const wanted = new Set(Object.values(state.ports).map((p) => p.ip));
    const have = (
      JSON.parse((await cmd('ip', ['-j', 'neigh', 'show', 'proxy', 'dev', uplink])) || '[]') as Array<{
        dst: string;
      }>
    ).map((n) => n.dst);
    for (const ip of have) if (!wanted.has(ip)) await cmd('ip', ['neigh', 'del', 'proxy', ip, 'dev', uplink]);
    for (const ip of wanted) if (!have.includes(ip)) await cmd('ip', ['neigh', 'replace', 'proxy', ip, 'dev', uplink]);
  }

  /** the interface holding this node's address (none on loopback: nothing to answer ARP on) */
  private async uplink(): Promise<string | null> {
    if (!this.host) return null;
    const links = JSON.parse(await cmd('ip', ['-j', '-4', 'addr', 'show'])) as Array<{
      ifname: string;
      addr_info?: Array<{ local?: string }>;
    }>;
    const link = links.find((l) => l.addr_info?.some((a) => a.local === this.host));
    return link && link.ifname !== 'lo' ? link.ifname : null;
  }

  /** the chain as the kernel holds it (iptables -S) */
  async rules(): Promise<string[]> {
    const out = await cmd('iptables', ['-w', '-S', chain]).catch(() => '');
    return out.split('\n').filter((l) => l.startsWith('-A'));
  }
}

function statefulLine(ip: string): string {
  return `-A ${chain} -d ${ip}/32 -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment "stateful" -j ACCEPT`;
}

function ruleLine(ip: string, r: AclRule, f: { denyRejects: boolean; ignoresMatch: boolean }): string {
  const parts = [`-A ${chain}`, `-d ${ip}/32`];
  if (!f.ignoresMatch) {
    parts.push(`-s ${r.remoteCidr}`);
    if (r.protocol !== 'any') parts.push(`-p ${r.protocol}`);
    if (r.portMin !== undefined) parts.push(`--dport ${r.portMin}${r.portMax !== undefined ? `:${r.portMax}` : ''}`);
  }
  const deny = f.denyRejects
    ? `REJECT${r.protocol === 'tcp' && !f.ignoresMatch ? ' --reject-with tcp-reset' : ''}`
    : 'DROP';
  parts.push('-m comment', `--comment "rule ${r.id}"`, `-j ${r.action === 'deny' ? deny : 'ACCEPT'}`);
  return parts.join(' ');
}

function restore(input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('iptables-restore', ['-w', '--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`iptables-restore exited ${code}: ${stderr.trim()}\n${input}`)),
    );
    child.stdin.end(input);
  });
}
