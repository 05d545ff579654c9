import type { DnsAnswer } from '../../contracts/ports/flashdns.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import type { Cleanup } from './fresh-matrix-cleanup.ts';
import type { LbUnderTest } from './fresh-matrix-fiberlb.ts';

/** the FlashDNS operations proveFlashdns calls, for the requires of every lane that runs it */
export const flashdnsOperations = [
  'flashdns.addRecord',
  'flashdns.createZone',
  'flashdns.deleteZone',
  'flashdns.removeRecord',
  'flashdns.resolve',
] as const;

/** The zone a run's load-balancer name lives in, and the name itself (what the TLS certificate is issued for). */
export function lbName(tag: string): { zone: string; label: string; fqdn: string } {
  const zone = `m${tag}.fresh-matrix.lab`;
  return { zone, label: 'lb', fqdn: `lb.${zone}` };
}

const show = (a: DnsAnswer) => `${a.status} flags=${a.flags.join(' ')} answers=${JSON.stringify(a.answers)}`;

/**
 * FlashDNS in the provider bundle: a record added through the API is answered authoritatively on the wire with
 * the load balancer's address, the TLS listener at that address presents the name's certificate, and a removed
 * record is answered NXDOMAIN, still authoritatively.
 */
export async function proveFlashdns(
  ctx: LaneContext<Cluster>,
  cleanup: Cleanup,
  tag: string,
  lb: LbUnderTest,
): Promise<void> {
  const dns = ctx.target.ports.flashdns;
  const { zone, label, fqdn } = lbName(tag);

  await ctx.step(
    "flashdns: a record added through the API is answered authoritatively with the LB's address",
    async () => {
      await dns.createZone(zone);
      cleanup.add(`flashdns zone ${zone}`, () => dns.deleteZone(zone));
      const added = await dns.addRecord(zone, { name: label, type: 'A', value: lb.https.host, ttl: 30 });
      // a change not served yet is retried: a zone the server refuses (not loaded yet), or an authoritative answer
      // without the record; any other answer without authority is what the server says for its zone, and the AA
      // check below names it
      const answer = await ctx.eventually(`${fqdn} A is answered on the wire`, async () => {
        const a = await dns.resolve(fqdn, 'A');
        const notYet =
          a.status === 'REFUSED' || (a.authoritative && (a.status !== 'NOERROR' || a.answers.length === 0));
        if (notYet) throw new Error(show(a));
        return a;
      });
      ctx.check(`the answer for ${fqdn} is authoritative (AA)`, answer.authoritative, show(answer));
      const values = answer.answers.filter((r) => r.type === 'A').map((r) => r.value);
      ctx.check(
        `${fqdn} resolves to exactly the LB listener address ${lb.https.host}`,
        values.length === 1 && values[0] === lb.https.host,
        show(answer),
      );
      const soa = await dns.resolve(zone, 'SOA');
      const servedSerial = Number(soa.answers.find((r) => r.type === 'SOA')?.value.split(/\s+/)[2]);
      ctx.check(
        'the served SOA serial has reached the serial of the API change',
        servedSerial >= added.serial,
        `served ${servedSerial}, API ${added.serial}`,
      );
      const probe = await ctx.target.ports.fiberlb.probe(lb.https.name, { servername: fqdn });
      ctx.check(
        `the TLS listener at the answered address presents the certificate for ${fqdn}`,
        probe.ok && probe.certificate?.subjectCN === fqdn,
        JSON.stringify({ status: probe.status, error: probe.error, certificate: probe.certificate }),
      );
      await ctx.artifact('flashdns-answers.json', { fqdn, a: answer, soa, api: added });

      await dns.removeRecord(zone, added.id);
      const gone = await ctx.eventually(`${fqdn} is answered NXDOMAIN once its record is removed`, async () => {
        const a = await dns.resolve(fqdn, 'A');
        if (a.status !== 'NXDOMAIN') throw new Error(show(a));
        return a;
      });
      ctx.check(`the NXDOMAIN for ${fqdn} is authoritative`, gone.authoritative, show(gone));
    },
  );
}
