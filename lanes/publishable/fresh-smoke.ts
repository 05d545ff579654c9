import { randomBytes } from 'node:crypto';
import type { Placement } from '../../contracts/ports/fleet-scheduler.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane, type LaneContext } from '../../harness/define.ts';
import { iamAdmin } from '../../harness/operator-credentials.ts';
import { retryTransient } from '../../helpers/chainfire-workload.ts';
import { HttpCallError } from '../../helpers/http.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { linearizableDuring } from './chainfire-history.ts';
import { checkNodesAnswer, checkServicesHealthy } from './cluster-checks.ts';
import { deployerLink, deployerLinkOperations } from './deployer-link.ts';

const workers = ['node04', 'node05'];

/**
 * The seed's fresh-smoke: the base gate of the six-node harness that extends the canonical three-node HA control
 * plane — readiness, core behaviour, fault injection, the KVM-only PlasmaVMC worker contract, fleet-scheduler
 * maintenance and fail-stop semantics, and k8shost's tenant pod and service semantics.
 */
export const freshSmoke = defineLane<Cluster>({
  name: 'fresh-smoke',
  group: 'publishable',
  tags: ['needs-root', 'disruptive'],
  summary: 'readiness, core behaviour and fault injection of the six-node VM-cluster harness',
  requires: [
    ...deployerLinkOperations,
    'chainfire.get',
    'chainfire.put',
    'flaredb.execute',
    'flaredb.migrate',
    'flaredb.migrations',
    'flaredb.query',
    'flaredb.tables',
    'fleet-scheduler.activate',
    'fleet-scheduler.deleteService',
    'fleet-scheduler.drain',
    'fleet-scheduler.nodes',
    'fleet-scheduler.placements',
    'fleet-scheduler.putService',
    'fleet-scheduler.services',
    'iam.bootstrap',
    'iam.createPrincipal',
    'iam.issueToken',
    'iam.jwks',
    'iam.keys',
    'iam.retireSigningKey',
    'iam.rotateCredential',
    'iam.rotateSigningKey',
    'iam.verifyToken',
    'k8shost.createPod',
    'k8shost.createService',
    'k8shost.deletePod',
    'k8shost.endpoints',
    'k8shost.listPods',
    'plasmavmc.workers',
  ],
  async run(ctx) {
    const { ports } = ctx.target;
    const tag = randomBytes(3).toString('hex');
    let tenantPrincipal: { id: string; secret: string; token: string; adminPrincipal: string } | undefined;

    await ctx.step('every node of the six-node harness is up and answers SSH', async () => {
      const names = ctx.target.nodes.map((n) => n.name).sort();
      ctx.check('the six harness nodes are present', names.join(',') === 'node01,node02,node03,node04,node05,node06');
      ctx.check('three control-plane nodes', ctx.target.withRole('control-plane').length === 3);
      await checkNodesAnswer(ctx);
    });

    await ctx.step('every service of every node is healthy', async () => {
      const healthy = await checkServicesHealthy(ctx);
      await ctx.artifact('healthy-services.json', healthy);
    });

    await ctx.step('chainfire: a write on one voter is read linearizably on every other', async () => {
      const key = `proof/fresh-smoke/${tag}`;
      // each write is read at once on the other voters: a read served from a lagging replica answers an older revision
      for (const round of ['smoke-1', 'smoke-2', 'smoke-3']) {
        const written = await ports.chainfire.at('node01').put(key, round);
        for (const node of ['node02', 'node03']) {
          const read = await ports.chainfire.at(node).get(key, 'linearizable');
          ctx.check(
            `chainfire on ${node} reads the write ${round} at its revision`,
            read.value === round && read.modRevision === written.revision,
            `wrote at revision ${written.revision}; read ${JSON.stringify(read)}`,
          );
        }
      }
      await linearizableDuring(
        ctx,
        'steady operation of the three voters',
        ['node01', 'node02', 'node03'],
        () => new Promise((resolve) => setTimeout(resolve, 2_000)),
      );
    });

    await ctx.step('flaredb: an additive migration, rows written, and the rows read back', async () => {
      const db = ports.flaredb.at('node01');
      const table = `smoke_${tag}`;
      await db.migrate(`fresh-smoke-${tag}`, [`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`]);
      await db.execute(`INSERT INTO ${table} (id, name) VALUES (?, ?), (?, ?)`, [1, 'alpha', 2, 'beta']);
      const rows = await db.query<{ id: number; name: string }>(`SELECT id, name FROM ${table} ORDER BY id`);
      ctx.check(
        'flaredb returns the rows written',
        rows.map((r) => r.name).join(',') === 'alpha,beta',
        JSON.stringify(rows),
      );
      const refused = await db.migrate(`fresh-smoke-drop-${tag}`, [`DROP TABLE ${table}`]).then(
        () => false,
        () => true,
      );
      ctx.check('flaredb refuses destructive DDL', refused);
    });

    await ctx.step(
      'flaredb: a migration id replayed with other statements is refused and changes nothing',
      async () => {
        const db = ports.flaredb.at('node01');
        const id = `fresh-smoke-${tag}`;
        const original = `CREATE TABLE smoke_${tag} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`;
        // the same length as the original, so only a comparison of the statements themselves tells them apart
        const other = `CREATE TABLE other_${tag} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`;
        const replay = await db.migrate(id, [original]);
        ctx.check('the identical replay is a no-op (not applied again)', !replay.applied, JSON.stringify(replay));
        const conflicting = await refusal(db.migrate(id, [other]));
        ctx.check(
          'the same migration id with different statements is refused (409)',
          conflicting === 'refused 409',
          conflicting,
        );
        const ledger = (await db.migrations()).filter((m) => m.id === id);
        ctx.check(
          'the ledger keeps the migration with its original statements',
          ledger.length === 1 && JSON.stringify(ledger[0]?.statements) === JSON.stringify([original]),
          JSON.stringify(ledger),
        );
        const tables = (await db.tables()).map((t) => t.name);
        ctx.check(
          `the refused statements created no table other_${tag}`,
          !tables.includes(`other_${tag}`) && tables.includes(`smoke_${tag}`),
          tables.join(', '),
        );
      },
    );

    await ctx.step('iam: a principal gets a signed token that verifies', async () => {
      const iam = ports.iam.at('node01');
      const admin = await iamAdmin(ctx.target, 'node01');
      const adminToken = (await iam.issueToken(admin.principal, admin.secret)).token;
      const principal = await iam.createPrincipal(adminToken, `smoke-${tag}`, ['tenant']);
      const token = await iam.issueToken(principal.id, principal.secret);
      const verified = await iam.verifyToken(token.token);
      ctx.check('iam verifies the token it issued', verified.valid && verified.principal === principal.id);
      const forged = await iam.verifyToken(`${token.token.slice(0, -4)}AAAA`);
      ctx.check('iam rejects a tampered token', !forged.valid);
      tenantPrincipal = { ...principal, token: token.token, adminPrincipal: admin.principal };
    });

    await ctx.step(
      'iam: a secret that is almost right is refused; a tenant token performs no admin action',
      async () => {
        const iam = ports.iam.at('node01');
        const { id, secret, token, adminPrincipal } = tenantPrincipal as NonNullable<typeof tenantPrincipal>;
        const last = secret.at(-1) === 'A' ? 'B' : 'A';
        const almost: Array<[string, string]> = [
          ['the secret with its last character changed', `${secret.slice(0, -1)}${last}`],
          ['the secret without its last character', secret.slice(0, -1)],
          ['the secret with a character appended', `${secret}A`],
        ];
        for (const [what, variant] of almost) {
          registerSecret(variant);
          const outcome = await refusal(iam.issueToken(id, variant));
          ctx.check(`iam refuses a token for ${what} (401)`, outcome === 'refused 401', outcome);
        }
        const created = await refusal(iam.createPrincipal(token, `smoke-${tag}-escalated`, ['admin']));
        ctx.check('a tenant token cannot create a principal (403)', created === 'refused 403', created);
        const rotated = await refusal(iam.rotateCredential(token, adminPrincipal));
        ctx.check("a tenant token cannot rotate the admin's credential (403)", rotated === 'refused 403', rotated);
        const exact = await iam.issueToken(id, secret);
        ctx.check('the exact secret still gets a token', (await iam.verifyToken(exact.token)).valid);
      },
    );

    await ctx.step('iam: a token signed by a retired key no longer verifies; the current key still signs', async () => {
      const iam = ports.iam.at('node01');
      const { id, secret } = tenantPrincipal as NonNullable<typeof tenantPrincipal>;
      const admin = await iamAdmin(ctx.target, 'node01');
      const before = await iam.issueToken(id, secret);
      const rotated = await iam.rotateSigningKey((await iam.issueToken(admin.principal, admin.secret)).token);
      ctx.check(
        'the rotation makes a new current key and keeps the old one as previous',
        rotated.current !== before.kid && rotated.previous.includes(before.kid),
        JSON.stringify(rotated),
      );
      const overlap = await iam.verifyToken(before.token);
      ctx.check(
        'a token of the previous key still verifies before it is retired',
        overlap.valid,
        JSON.stringify(overlap),
      );
      await iam.retireSigningKey((await iam.issueToken(admin.principal, admin.secret)).token, before.kid);
      const state = (await iam.keys()).find((k) => k.kid === before.kid)?.state;
      ctx.check(`key ${before.kid} is retired`, state === 'retired', String(state));
      const published = (await iam.jwks()).keys.map((k) => k.kid ?? '');
      ctx.check(
        'the JWKS no longer publishes the retired key and publishes the current one',
        !published.includes(before.kid) && published.includes(rotated.current),
        published.join(', '),
      );
      const retired = await iam.verifyToken(before.token);
      ctx.check('a token signed by the retired key is rejected', !retired.valid, JSON.stringify(retired));
      const after = await iam.issueToken(id, secret);
      const current = await iam.verifyToken(after.token);
      ctx.check(
        'a token issued after the retirement is signed by the current key and verifies',
        after.kid === rotated.current && current.valid && current.principal === id,
        JSON.stringify({ kid: after.kid, current }),
      );
    });

    await ctx.step('fault injection: losing a control-plane node keeps chainfire serving', async () => {
      const key = `proof/fresh-smoke/${tag}/fault`;
      const retried: string[] = [];
      try {
        await linearizableDuring(ctx, 'the loss of node03', ['node01', 'node02'], async () => {
          await ctx.target.node('node03').power.kill();
          await ctx.eventually('chainfire accepts writes with one voter down', () =>
            ports.chainfire.at('node01').put(key, 'quorum'),
          );
          // the loss may cost an election: a read that meets it is retried, as a client does, within a bound
          const read = await retryTransient(() => ports.chainfire.at('node02').get(key, 'linearizable'), {
            attempts: 6,
            onRetry: (reason) => retried.push(reason),
          });
          ctx.check(
            'the surviving quorum serves the write',
            read.value === 'quorum',
            `read ${JSON.stringify(read.value)}; transient errors retried: ${retried.join(', ') || 'none'}`,
          );
        });
        await ctx.step(
          'a member cut off from quorum refuses linearizable reads and still serves serializable ones',
          () => cutOffFromQuorum(ctx, key, 'quorum'),
        );
      } finally {
        await ctx.target.node('node03').power.start();
        await ctx.target.node('node02').power.start();
      }
      for (const node of ['node02', 'node03']) {
        await ctx.eventually(
          `${node} rejoins and serves the write from its local replica`,
          async () => {
            const read = await ports.chainfire.at(node).get(key, 'serializable');
            if (read.value !== 'quorum') throw new Error(`${node} answered ${JSON.stringify(read.value)}`);
          },
          { timeoutMs: 60_000 },
        );
      }
      await ctx.eventually(
        'chainfire serves linearizable reads again with its quorum back',
        () => ports.chainfire.at('node01').get(key, 'linearizable'),
        { timeoutMs: 60_000 },
      );
    });

    await ctx.step('both worker registrations advertise HYPERVISOR_TYPE_KVM and nothing broader', async () => {
      const registrations = await ports.plasmavmc.workers();
      await ctx.artifact('plasmavmc-workers.json', registrations);
      for (const worker of workers) {
        const reg = registrations.find((r) => r.node === worker);
        ctx.check(`${worker} is registered with plasmavmc`, Boolean(reg));
        const hv = reg?.hypervisors ?? [];
        ctx.check(
          `${worker} advertises exactly HYPERVISOR_TYPE_KVM`,
          hv.length === 1 && hv[0] === 'HYPERVISOR_TYPE_KVM',
          `hypervisors: ${hv.join(', ') || '(none)'}`,
        );
      }
    });

    await deployerLink(ctx);
    await fleetMaintenance(ctx, tag);

    await ctx.step('k8shost: tenant pods and services, separate from host services', async () => {
      const k8s = ports.k8shost;
      const ns = `smoke-${tag}`;
      await k8s.createPod(ns, { name: 'web-1', labels: { app: 'web' } });
      await k8s.createPod(ns, { name: 'web-2', labels: { app: 'web' } });
      await k8s.createPod(ns, { name: 'db-1', labels: { app: 'db' } });
      await k8s.createService(ns, { name: 'web', selector: { app: 'web' }, port: 80 });
      const endpoints = async () => (await k8s.endpoints(ns, 'web')).sort().join(',');
      ctx.check('the service selects exactly its pods', (await endpoints()) === 'web-1,web-2', await endpoints());
      await k8s.deletePod(ns, 'web-2');
      await ctx.eventually('the service endpoints follow a deleted pod', async () => {
        const e = await endpoints();
        if (e !== 'web-1') throw new Error(`endpoints: ${e}`);
      });
      const pods = (await k8s.listPods(ns)).items.map((p) => p.name).sort();
      ctx.check('k8shost lists the tenant pods of the namespace', pods.join(',') === 'db-1,web-1', pods.join(','));
      await k8s.createPod(ns, { name: 'web-canary', labels: { app: 'web', track: 'canary' } });
      await k8s.createPod(ns, { name: 'db-canary', labels: { app: 'db', track: 'canary' } });
      await k8s.createService(ns, { name: 'web-canary', selector: { app: 'web', track: 'canary' }, port: 8080 });
      const canary = (await k8s.endpoints(ns, 'web-canary')).sort().join(',');
      ctx.check(
        'a service with two selector labels selects only the pod carrying both (not web-1 nor db-canary)',
        canary === 'web-canary',
        canary,
      );
      await ctx.eventually('the one-label service also selects the canary pod carrying its label', async () => {
        const e = await endpoints();
        if (e !== 'web-1,web-canary') throw new Error(`endpoints: ${e}`);
      });
      const hostServices = (await ports.fleetScheduler.services()).map((s) => s.name);
      const placed = new Set((await ports.fleetScheduler.placements()).instances.map((p) => p.service));
      const leaked = ['web-1', 'web-2', 'db-1', 'web-canary', 'db-canary'].filter(
        (pod) => hostServices.includes(pod) || placed.has(pod),
      );
      ctx.check(
        'tenant pods are not fleet-scheduler host services: no host service or placement is named after a pod',
        leaked.length === 0,
        `host services named after pods: ${leaked.join(', ') || 'none'}; host services: ${hostServices.join(', ') || '(none)'}`,
      );
    });
  },
});

/** how a call that should be refused ended: `refused <status>`, `accepted`, or `failed: <error>` */
function refusal(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'accepted',
    (err: unknown) => (err instanceof HttpCallError ? `refused ${err.status}` : `failed: ${String(err)}`),
  );
}

/**
 * With node03 down, node02 goes too: node01 alone has no quorum. It must refuse a linearizable read (it cannot
 * confirm it is up to date) and still answer a serializable one from its replica. node02 is powered on by the caller.
 */
async function cutOffFromQuorum(ctx: LaneContext<Cluster>, key: string, value: string): Promise<void> {
  const node01 = ctx.target.ports.chainfire.at('node01');
  await ctx.target.node('node02').power.kill();
  // the kill takes effect within moments; from then on every linearizable read must be refused
  const refusal = await ctx.until(
    'node01 without a quorum refuses a linearizable read',
    () =>
      node01.get(key, 'linearizable').then(
        (r) => `answered ${JSON.stringify(r.value)}`,
        (err: Error) => `refused: ${err.message}`,
      ),
    (outcome) => outcome.startsWith('refused'),
    { timeoutMs: 20_000 },
  );
  ctx.log(`node01 without a quorum: linearizable read ${refusal}`);
  const serializable = await node01.get(key, 'serializable');
  ctx.check(
    'node01 without a quorum serves a serializable read from its replica',
    serializable.value === value,
    JSON.stringify(serializable),
  );
}

/** fleet-scheduler maintenance: active → draining → active, fail-stop worker loss, replica restoration. */
async function fleetMaintenance(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const fleet = ctx.target.ports.fleetScheduler;
  const service = `smoke-${tag}`;
  const on = async (node: string) =>
    (await fleet.placements()).instances.filter((p: Placement) => p.service === service && p.node === node);
  const runningOn = (node: string, min: number) => async () => {
    const p = (await on(node)).filter((x) => x.running);
    if (p.length < min) throw new Error(`${p.length} running replicas on ${node}`);
    return p;
  };
  const stateOf = async (node: string) => (await fleet.nodes()).find((n) => n.name === node)?.state;

  await ctx.step("fleet-scheduler receives both workers' heartbeats: their timestamps advance", async () => {
    const heartbeatOf = async (node: string) => {
      const at = (await fleet.nodes()).find((n) => n.name === node)?.lastHeartbeatAt ?? null;
      return at === null ? null : Date.parse(at);
    };
    for (const w of workers) {
      const first = await heartbeatOf(w);
      ctx.check(`fleet-scheduler has a heartbeat time for ${w}`, first !== null && !Number.isNaN(first), String(first));
      await ctx.until(
        `fleet-scheduler records a later heartbeat from ${w}`,
        () => heartbeatOf(w),
        (t) => t !== null && t > (first as number),
        { timeoutMs: 10_000 },
      );
    }
  });

  await ctx.step('fleet-scheduler places replicas on both workers', async () => {
    await fleet.putService(service, { replicas: 4 });
    for (const w of workers) await ctx.eventually(`replicas run on ${w}`, runningOn(w, 1), { timeoutMs: 30_000 });
  });

  await ctx.step('maintenance: node05 goes active → draining → active', async () => {
    await fleet.drain('node05');
    ctx.check('node05 is draining', (await stateOf('node05')) === 'draining');
    await ctx.eventually('draining moves every replica off node05', async () => {
      const left = await on('node05');
      if (left.length > 0) throw new Error(`${left.length} replicas still on node05`);
    });
    await ctx.eventually('node04 carries all replicas during maintenance', runningOn('node04', 4), {
      timeoutMs: 30_000,
    });
    await fleet.activate('node05');
    ctx.check('node05 is active again', (await stateOf('node05')) === 'active');
    await ctx.eventually('replicas are restored onto node05 after maintenance', runningOn('node05', 1), {
      timeoutMs: 30_000,
    });
  });

  await ctx.step('fail-stop: node05 loses power; its replicas move and come back when it returns', async () => {
    await ctx.target.node('node05').power.kill();
    try {
      await ctx.eventually('node05 is marked lost', async () => {
        const s = await stateOf('node05');
        if (s !== 'lost') throw new Error(`node05 is ${s}`);
      });
      await ctx.eventually('node05 replicas are rescheduled onto node04', runningOn('node04', 4), {
        timeoutMs: 30_000,
      });
    } finally {
      await ctx.target.node('node05').power.start();
    }
    await ctx.eventually(
      'node05 is active after it returns',
      async () => {
        const s = await stateOf('node05');
        if (s !== 'active') throw new Error(`node05 is ${s}`);
      },
      { timeoutMs: 60_000 },
    );
    await ctx.eventually('replicas are restored onto node05 after the loss', runningOn('node05', 1), {
      timeoutMs: 60_000,
    });
  });

  await fleet.deleteService(service);
}
