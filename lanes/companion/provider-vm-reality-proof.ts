import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import { withCleanup } from '../publishable/fresh-matrix-cleanup.ts';
import { fiberlbOperations, proveFiberlb } from '../publishable/fresh-matrix-fiberlb.ts';
import { flashdnsOperations, lbName, proveFlashdns } from '../publishable/fresh-matrix-flashdns.ts';
import { prismnetAclOperations, provePrismnetAcl } from '../publishable/fresh-matrix-prismnet.ts';
import { provePlasmavmcMigration } from './provider-vm-migration.ts';

/**
 * The seed's provider-vm-reality-proof: the artifact-producing companion lane for the provider and VM-hosting
 * bundle, in one dated proof root — PrismNet port and ACL state on real traffic, FiberLB listeners with backend
 * drain and re-convergence of real traffic, authoritative FlashDNS answers read off the wire (AA flag), and
 * PlasmaVMC shared-storage live migration of a running VM between the two workers (its disk a CoronaFS volume both
 * see) plus its post-migration restart state. Everything it creates is removed at the end, except the VM's CoronaFS
 * volume (detached: the CoronaFS port has no volume delete).
 */
export const providerVmRealityProof = defineLane<Cluster>({
  name: 'provider-vm-reality-proof',
  group: 'companion',
  tags: ['needs-root', 'vm', 'slow'],
  summary:
    'prismnet port/ACL state, fiberlb drain and restore, authoritative flashdns answers, plasmavmc shared-storage migration and restart',
  requires: [
    'coronafs.read',
    'coronafs.volume',
    'plasmavmc.console',
    'plasmavmc.createVm',
    'plasmavmc.deleteVm',
    'plasmavmc.migrateVm',
    'plasmavmc.restartVm',
    'plasmavmc.vm',
    'plasmavmc.waitForState',
    ...fiberlbOperations,
    ...flashdnsOperations,
    ...prismnetAclOperations,
  ],
  scopeContract: {
    prismnet: 'tenant API lifecycle and attached networking on the lab dataplane; no OVS/OVN or hardware-switch path',
    fiberlb: 'listener publication plus backend drain and re-convergence; no BGP/BFD peering or hardware VIP ownership',
    plasmavmc: 'KVM shared-storage migration on the local worker pair; real-hardware migration is a later proof',
  },
  async run(ctx) {
    const tag = randomBytes(3).toString('hex');
    ctx.log(`run tag ${tag}`);
    await withCleanup(ctx, async (cleanup) => {
      await provePrismnetAcl(ctx, cleanup, tag);
      const lb = await proveFiberlb(ctx, cleanup, tag, lbName(tag).fqdn);
      await proveFlashdns(ctx, cleanup, tag, lb);
      await provePlasmavmcMigration(ctx, cleanup, tag);
    });
  },
});
