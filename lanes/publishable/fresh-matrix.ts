import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane } from '../../harness/define.ts';
import { proveApigateway } from './fresh-matrix-apigateway.ts';
import { withCleanup } from './fresh-matrix-cleanup.ts';
import { proveCreditservice } from './fresh-matrix-credit.ts';
import { fiberlbOperations, proveFiberlb } from './fresh-matrix-fiberlb.ts';
import { flashdnsOperations, lbName, proveFlashdns } from './fresh-matrix-flashdns.ts';
import { proveK8shostWatch } from './fresh-matrix-k8shost.ts';
import { proveNightlightRange } from './fresh-matrix-nightlight.ts';
import { prismnetAclOperations, provePrismnetAcl } from './fresh-matrix-prismnet.ts';
import { proveCoronafs, proveLightningstor, provePlasmavmcContract } from './fresh-matrix-storage.ts';

/**
 * The seed's fresh-matrix: the composition proof for the provider bundles prismnet + flashdns + fiberlb and
 * plasmavmc + coronafs + lightningstor — PrismNet security-group ACL add and remove on real traffic, FiberLB Tcp
 * plus TLS-terminated Https / TerminatedHttps listeners with drain and re-convergence, authoritative FlashDNS
 * answers for the load balancer, LightningStor bucket metadata, object versions and deletes, the k8shost pod watch, the
 * KVM-only PlasmaVMC worker contract, NightLight range queries, and the creditservice quota, wallet, reservation and
 * API-gateway flows. Everything it creates carries a per-run tag and is removed at the end, except the NightLight
 * samples, which the port has no way to delete.
 */
export const freshMatrix = defineLane<Cluster>({
  name: 'fresh-matrix',
  group: 'publishable',
  tags: ['needs-root'],
  summary: 'composition proof for the provider, VM-hosting and add-on bundles',
  requires: [
    'apigateway.config',
    'apigateway.request',
    'apigateway.writeConfig',
    'coronafs.attach',
    'coronafs.createVolume',
    'coronafs.createVolumeFromObject',
    'coronafs.detach',
    'coronafs.exportSnapshot',
    'coronafs.read',
    'coronafs.snapshot',
    'coronafs.volume',
    'coronafs.write',
    'creditservice.commit',
    'creditservice.createWallet',
    'creditservice.quota',
    'creditservice.release',
    'creditservice.reserve',
    'creditservice.setQuota',
    'creditservice.wallet',
    'k8shost.createPod',
    'k8shost.deletePod',
    'k8shost.listPods',
    'k8shost.setPodLabels',
    'k8shost.watch',
    'lightningstor.createBucket',
    'lightningstor.deleteObject',
    'lightningstor.getObject',
    'lightningstor.headBucket',
    'lightningstor.listBuckets',
    'lightningstor.listObjectVersions',
    'lightningstor.putObject',
    'lightningstor.updateBucketMetadata',
    'nightlight.ingest',
    'nightlight.query',
    'plasmavmc.workers',
    ...fiberlbOperations,
    ...flashdnsOperations,
    ...prismnetAclOperations,
  ],
  async run(ctx) {
    const tag = randomBytes(3).toString('hex');
    ctx.log(`run tag ${tag}`);
    await withCleanup(ctx, async (cleanup) => {
      // network-provider bundle: prismnet + fiberlb + flashdns
      await provePrismnetAcl(ctx, cleanup, tag);
      const lb = await proveFiberlb(ctx, cleanup, tag, lbName(tag).fqdn);
      await proveFlashdns(ctx, cleanup, tag, lb);
      // VM-hosting bundle: plasmavmc + coronafs + lightningstor
      await provePlasmavmcContract(ctx);
      const bucket = await proveLightningstor(ctx, tag);
      await proveCoronafs(ctx, cleanup, tag, bucket);
      // add-on surface: k8shost, nightlight, creditservice, apigateway (its restart-based rollout restarts the
      // gateway node)
      await proveK8shostWatch(ctx, cleanup, tag);
      await proveNightlightRange(ctx, tag);
      const tenant = await proveCreditservice(ctx, tag);
      await proveApigateway(ctx, cleanup, tenant);
    });
  },
});
