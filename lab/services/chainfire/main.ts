import { httpExchange } from '../../../helpers/http.ts';
import { HttpError, startHttpService } from '../common/http-service.ts';
import type { LabClusterNode } from '../common/service-env.ts';
import { EtcdGateway, type EtcdMember, type EtcdStatus } from './etcd-gateway.ts';
import { clientUrl, EtcdProcess, peerUrl } from './etcd-process.ts';
import { chainfireFaults } from './faults.ts';

/**
 * ChainFire in the reference lab: a real etcd 3.4 member per node (Raft is etcd's), and this sidecar, which
 * serves the ChainFire API over HTTP:
 *   PUT /kv/:key {value}, GET /kv/:key?consistency=linearizable|serializable
 *   GET /members, POST /members/learner {node}, POST /members/:node/promote, DELETE /members/:node
 *   POST /leader/transfer {node}, GET /status, POST /join {initialCluster} (used by a learner add)
 * The control-plane nodes are the initial voters; on any other node the sidecar idles until it is added.
 */
let etcd: EtcdProcess;
const local = new EtcdGateway('http://127.0.0.1:2379');
let expectedExit = false;

await startHttpService({
  faults: chainfireFaults,
  onShutdown: async () => {
    expectedExit = true;
    await etcd?.stop();
  },
  health: async () => {
    if (!etcd.running) return { member: false, etcd: 'standby' };
    if (etcd.paused) return { member: true, etcd: 'paused' };
    const s = await local.status(1_500);
    return { member: true, etcd: 'running', memberId: s.memberId, leaderId: s.leaderId, isLearner: s.isLearner };
  },
  routes(app, { env, faults }) {
    const nodes = env.cluster.nodes.filter((n) => n.services.chainfire);
    const me = nodes.find((n) => n.name === env.node) as LabClusterNode;
    const voters = nodes.filter((n) => n.role === 'control-plane');
    etcd = new EtcdProcess({
      name: env.node,
      address: me.address,
      stateDir: env.stateDir,
      clusterToken: `chainfire-${process.env.UCP_LAB_ID ?? 'lab'}`,
    });
    let learner = false;
    const lagging = new Map<string, { at: number; answer: object }>();
    let frozen: EtcdStatus | null = null;
    const gateway = (n: LabClusterNode) => new EtcdGateway(clientUrl(n.address));
    const others = () => nodes.filter((n) => n.name !== env.node).map(gateway);
    const anyMembers = async (): Promise<EtcdMember[]> => {
      for (const g of etcd.running && !etcd.paused ? [local, ...others()] : others()) {
        try {
          return await g.members();
        } catch {
          // try the next member
        }
      }
      throw new HttpError(503, 'no chainfire member answered a member list');
    };
    const nodeOf = (name: string): LabClusterNode => {
      const n = env.cluster.nodes.find((x) => x.name === name);
      if (!n) throw new HttpError(404, `no node "${name}" in the cluster`);
      return n;
    };
    const memberOf = async (name: string): Promise<EtcdMember> => {
      const m = (await anyMembers()).find((x) => x.name === name || x.peerUrls.includes(peerUrl(nodeOf(name).address)));
      if (!m) throw new HttpError(404, `node "${name}" is not a chainfire member`);
      return m;
    };

    if (etcd.hasData) etcd.start('', 'existing');
    else if (voters.some((v) => v.name === env.node)) {
      etcd.start(voters.map((v) => `${v.name}=${peerUrl(v.address)}`).join(','), 'new');
    }
    etcd.onExit = (code) => {
      if (expectedExit) return;
      process.stdout.write(`etcd exited (${code}); checking membership\n`);
      setTimeout(async () => {
        const members = await anyMembers().catch(() => null);
        if (members && !members.some((m) => m.peerUrls.includes(peerUrl(me.address)))) {
          process.stdout.write('this node was removed from chainfire: standing by\n');
          etcd.retireData();
          learner = false;
        } else if (!etcd.running) etcd.start('', 'existing');
      }, 1_000);
    };

    // learner-never-catches-up: freeze the local member while it is a learner
    setInterval(async () => {
      if (!etcd.running) return;
      if (!faults.on('learner-never-catches-up')) return etcd.resume();
      const mine = (await anyMembers().catch(() => [])).find((m) => m.peerUrls.includes(peerUrl(me.address)));
      learner = mine?.isLearner ?? learner;
      if (!learner) return etcd.resume();
      if (!etcd.paused) {
        frozen = await local.status(500).catch(() => frozen);
        etcd.pause();
      }
    }, 250).unref();

    app.put('/kv/:key*', async (req) => {
      const value = (req.body as { value?: unknown } | undefined)?.value;
      if (typeof value !== 'string') throw new HttpError(400, 'body must be {"value": "<string>"}');
      return { key: req.params.key, revision: await local.put(req.params.key as string, value) };
    });
    app.get('/kv/:key*', async (req) => {
      const key = req.params.key as string;
      const consistency = req.query.get('consistency') ?? 'linearizable';
      if (consistency !== 'linearizable' && consistency !== 'serializable') {
        throw new HttpError(400, `consistency must be linearizable or serializable, got "${consistency}"`);
      }
      const serializable = consistency === 'serializable';
      // stale-linearizable-read: a linearizable read answered from a snapshot of the key up to a second old
      const cached = lagging.get(key);
      if (!serializable && faults.on('stale-linearizable-read') && cached && Date.now() - cached.at < 1_000) {
        return { ...cached.answer, consistency };
      }
      let { kv, revision } = await local.range(key, { serializable });
      if (serializable && kv && kv.modRevision > kv.createRevision && faults.on('stale-serializable-read')) {
        kv = (await local.range(key, { serializable, revision: kv.modRevision - 1 })).kv;
      }
      const answer = { key, found: kv !== null, value: kv?.value ?? null, modRevision: kv?.modRevision ?? 0, revision };
      if (!serializable && faults.on('stale-linearizable-read')) lagging.set(key, { at: Date.now(), answer });
      return { ...answer, consistency };
    });
    app.get('/members', async () => ({ members: await anyMembers() }));
    app.post('/members/learner', async (req) => {
      const name = String((req.body as { node?: unknown } | undefined)?.node ?? '');
      const target = nodeOf(name);
      if (!target.services.chainfire) throw new HttpError(400, `node "${name}" runs no chainfire sidecar to join with`);
      const id = await local.addLearner(peerUrl(target.address));
      const members = await local.members();
      const initialCluster = members
        .map((m) => `${m.id === id ? name : m.name}=${m.peerUrls[0]}`)
        .filter((s) => !s.startsWith('='))
        .join(',');
      const joinUrl = `http://${target.services.chainfire.host}:${target.services.chainfire.port}/join`;
      const res = await httpExchange('POST', joinUrl, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ initialCluster }),
        timeoutMs: 10_000,
      });
      if (!res.ok) throw new HttpError(502, `${name} could not join: ${res.text}`);
      return { node: name, id, isLearner: true };
    });
    app.post('/members/:node/promote', async (req) => {
      const m = await memberOf(req.params.node as string);
      await local.promote(m.id);
      return { node: req.params.node, id: m.id, isLearner: false };
    });
    app.delete('/members/:node', async (req) => {
      const m = await memberOf(req.params.node as string);
      await local.remove(m.id);
      return { node: req.params.node, id: m.id, removed: true };
    });
    app.post('/leader/transfer', async (req) => {
      const name = String((req.body as { node?: unknown } | undefined)?.node ?? '');
      const target = await memberOf(name);
      if (faults.on('leader-transfer-noop')) return { transferred: true, to: name };
      const leaderId = (await local.status()).leaderId;
      const leader = (await anyMembers()).find((m) => m.id === leaderId);
      if (!leader?.clientUrls[0]) throw new HttpError(503, `leader ${leaderId} is not in the member list`);
      if (leader.id !== target.id) await new EtcdGateway(leader.clientUrls[0]).transferLeadership(target.id);
      return { transferred: true, from: leader.name, to: name };
    });
    app.get('/status', async () => {
      if (!etcd.running) return { node: env.node, member: false };
      // a frozen learner reports the replica state it was frozen at (nothing applied if frozen at join)
      const s = etcd.paused
        ? (frozen ?? {
            memberId: '',
            leaderId: '0',
            raftIndex: 0,
            raftTerm: 0,
            raftAppliedIndex: 0,
            isLearner: true,
            revision: 0,
          })
        : await local.status();
      const members = await anyMembers().catch(() => [] as EtcdMember[]);
      const leader = members.find((m) => m.id === s.leaderId);
      return { node: env.node, member: true, ...s, leader: leader?.name ?? null, frozen: etcd.paused };
    });
    app.post('/join', async (req) => {
      const initialCluster = String((req.body as { initialCluster?: unknown } | undefined)?.initialCluster ?? '');
      if (!initialCluster.includes(`${env.node}=`)) throw new HttpError(400, `initialCluster must name ${env.node}`);
      // a member still running here was removed before this add: it is stopped and its data retired
      if (etcd.running) {
        expectedExit = true;
        await etcd.stop();
        expectedExit = false;
      }
      etcd.retireData();
      learner = true;
      frozen = null;
      etcd.start(initialCluster, 'existing');
      if (faults.on('learner-never-catches-up')) etcd.pause();
      return { node: env.node, joining: true };
    });
  },
});
