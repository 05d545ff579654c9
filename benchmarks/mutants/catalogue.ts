/**
 * The mutation campaign's mutants: each a plausible regression of the lab's service code, as one exact
 * search/replace on one file under lab/, naming the lane that must catch it and the property it breaks.
 * A mutant whose search text does not occur exactly once is refused (tests/unit/mutants.test.ts).
 */
export interface Mutant {
  id: string;
  file: string;
  lane: string;
  /** the property the regression breaks */
  breaks: string;
  search: string;
  replace: string;
}

export const mutants: Mutant[] = [
  {
    id: 'credit-quota-limit-exclusive',
    file: 'lab/services/creditservice/ledger.ts',
    lane: 'fresh-matrix',
    breaks: 'a reservation that exactly reaches the quota is accepted',
    search: 'used + req.units > limit) {',
    replace: 'used + req.units >= limit) {',
  },
  {
    id: 'credit-balance-ignores-held',
    file: 'lab/services/creditservice/ledger.ts',
    lane: 'fresh-matrix',
    breaks: 'a reservation beyond the available balance (balance minus holds) is rejected with 402',
    search: 'if (wallet.balance - wallet.held < req.amount) {',
    replace: 'if (wallet.balance < req.amount) {',
  },
  {
    id: 'credit-quota-counts-released',
    file: 'lab/services/creditservice/ledger.ts',
    lane: 'fresh-matrix',
    breaks: 'quota usage counts only live reservations',
    search: "if (r.tenant === tenant && r.status !== 'released')",
    replace: 'if (r.tenant === tenant)',
  },
  {
    id: 'credit-idempotency-key-any-tenant',
    file: 'lab/services/creditservice/ledger.ts',
    lane: 'fresh-matrix',
    breaks: "an idempotency key replays only its own tenant's reservation",
    search: 'req.idempotencyKey && r.tenant === req.tenant && r.idempotencyKey',
    replace: 'req.idempotencyKey && r.idempotencyKey',
  },
  {
    id: 'lightningstor-unversioned-read-oldest',
    file: 'lab/services/lightningstor/main.ts',
    lane: 'fresh-matrix',
    breaks: 'a read without a version id answers the latest',
    search: ': versions.at(-1);',
    replace: ': versions[0];',
  },
  {
    id: 'lightningstor-every-version-latest',
    file: 'lab/services/lightningstor/main.ts',
    lane: 'fresh-matrix',
    breaks: 'only the second put is the latest version',
    search: 'isLatest: latest.get(v.key) === v.versionId',
    replace: 'isLatest: latest.has(v.key)',
  },
  {
    id: 'k8shost-watch-resume-inclusive',
    file: 'lab/services/k8shost/api-objects.ts',
    lane: 'fresh-matrix',
    breaks: 'a watch resumed after ADDED delivers exactly MODIFIED, DELETED',
    search: 'events.filter((e) => e.resourceVersion > from)',
    replace: 'events.filter((e) => e.resourceVersion >= from)',
  },
  {
    id: 'k8shost-selector-any-label',
    file: 'lab/services/k8shost/main.ts',
    lane: 'fresh-smoke',
    breaks: 'a service selects only pods matching every selector label',
    search: 'Object.entries(selector).every(',
    replace: 'Object.entries(selector).some(',
  },
  {
    id: 'coronafs-write-any-node-once-attached',
    file: 'lab/services/coronafs/volumes.ts',
    lane: 'fresh-matrix',
    breaks: 'a write from a node the volume is not attached to is refused',
    search: '    if (v.attachedTo !== node)\n      throw',
    replace: '    if (v.attachedTo === null)\n      throw',
  },
  {
    id: 'prismnet-dport-off-by-one',
    file: 'lab/services/prismnet/dataplane.ts',
    lane: 'fresh-matrix',
    breaks: 'an added ACL rule blocks a real TCP connection to its port',
    search: '--dport ${r.portMin}$',
    replace: '--dport ${r.portMin + 1}$',
  },
  {
    id: 'fleet-places-on-draining',
    file: 'lab/services/fleet-scheduler/placement.ts',
    lane: 'fresh-smoke',
    breaks: 'draining moves every replica off the node',
    search: ".filter((n) => n.state === 'active')",
    replace: ".filter((n) => n.state !== 'lost')",
  },
  {
    id: 'fleet-rebalance-tolerates-two',
    file: 'lab/services/fleet-scheduler/placement.ts',
    lane: 'host-lifecycle-e2e',
    breaks: 'replicas are restored after the node returns',
    search: 'if (load(high) - load(low) <= 1) break;',
    replace: 'if (load(high) - load(low) <= 2) break;',
  },
  {
    id: 'deployer-token-prefix-accepted',
    file: 'lab/services/deployer/bootstrap-auth.ts',
    lane: 'deployer-bootstrap-e2e',
    breaks: 'phone-home with a wrong token is refused',
    search: "if (!match) throw new HttpError(401, 'invalid bootstrap token');",
    replace: "if (!match && !presented.startsWith('ucbt_')) throw new HttpError(401, 'invalid bootstrap token');",
  },
  {
    id: 'deployer-replay-reports-created',
    file: 'lab/services/deployer/main.ts',
    lane: 'deployer-bootstrap-e2e',
    breaks: 'the replay answers the existing node',
    search: 'return { node: existing, created: false };',
    replace: 'return { node: existing, created: true };',
  },
];
