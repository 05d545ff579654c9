import { randomBytes } from 'node:crypto';
import { chainfireOperations } from '../../contracts/ports/chainfire.ts';
import type { ClientCertificate, IamPort } from '../../contracts/ports/iam.ts';
import type { Cluster } from '../../contracts/target.ts';
import { defineLane, type LaneContext } from '../../harness/define.ts';
import { type IamAdmin, iamAdmin } from '../../harness/operator-credentials.ts';
import type { LaneContextWithWaits } from '../../harness/run-lane.ts';
import { HttpCallError } from '../../helpers/http.ts';
import { registerSecret } from '../../helpers/redact.ts';
import { defaultSurfaceTarget, supportedSurfaceGuard } from '../guards/supported-surface-guard.ts';

/** the IAM instance the operator lifecycle is proven on */
const iamNode = 'node01';

/**
 * The seed's run-core-control-plane-ops-proof: the focused operator lifecycle proof of the core control plane. It
 * keeps supported-surface-guard honest, records the published ChainFire API boundary, the FlareDB additive-first
 * migration and destructive-DDL boundary, and proves IAM's one-time bootstrap plus its signing-key, credential and
 * mTLS CA rotations with overlap, each log under the seed's artifact names.
 */
export const coreControlPlaneOpsProof = defineLane<Cluster>({
  name: 'core-control-plane-ops-proof',
  group: 'companion',
  tags: ['needs-root'],
  summary:
    'ChainFire API boundary, FlareDB additive-first migration and destructive-DDL boundary, IAM bootstrap hardening and signing-key, credential and mTLS rotation',
  requires: [
    'chainfire.get',
    'chainfire.members',
    'chainfire.put',
    'chainfire.status',
    'flaredb.execute',
    'flaredb.migrate',
    'flaredb.migrations',
    'flaredb.query',
    'flaredb.tables',
    'iam.bootstrap',
    'iam.createPrincipal',
    'iam.issueClientCertificate',
    'iam.issueToken',
    'iam.jwks',
    'iam.keys',
    'iam.mtls',
    'iam.mtlsWhoami',
    'iam.retirePreviousCa',
    'iam.retirePreviousCredential',
    'iam.retireSigningKey',
    'iam.rotateCa',
    'iam.rotateCredential',
    'iam.rotateSigningKey',
    'iam.verifyToken',
  ],
  scopeContract: {
    lane: 'core-control-plane-ops-proof',
    composes: ['supported-surface-guard'],
    chainfire: {
      publishedOperations: [...chainfireOperations],
      proven: 'members are the control-plane voters, every voter follows one leader, a put reads back at its revision',
      outOfScope:
        'arbitrary multi-voter swaps that need joint consensus; live reconfiguration is chainfire-live-membership-proof',
    },
    flaredb: {
      migrations: 'additive-first: CREATE TABLE, CREATE INDEX and ADD COLUMN are applied and keep existing rows',
      destructiveDdl: 'DROP TABLE, DROP COLUMN and RENAME are refused with HTTP 409 and change nothing',
      outOfScope: 'destructive schema rewrites and fully automated online migration',
    },
    iam: {
      bootstrap: 'one-time: a second bootstrap is refused with HTTP 409; secrets match in full only',
      signingKeys: 'rotation with overlap: tokens of the previous key verify until it is retired, and not after',
      credentials: 'rotation with overlap: the previous secret works until retirePreviousCredential, and not after',
      mtls: 'CA rotation with overlap: client certificates of the previous CA connect until it is retired, and not after',
    },
  },
  async run(ctx: LaneContextWithWaits<Cluster>) {
    const { ports } = ctx.target;
    const tag = randomBytes(3).toString('hex');
    const iam = ports.iam.at(iamNode);

    await ctx.step(
      'the supported surface carries no unfinished wording, stub responses, completeness markers or archived helpers',
      async () => {
        const surface = defaultSurfaceTarget();
        const artifact = (name: string, content: string | Uint8Array | object) =>
          ctx.artifact(`${supportedSurfaceGuard.name}/${name}`, content);
        await supportedSurfaceGuard.run({ ...ctx, target: surface, artifact } as LaneContext<typeof surface>);
      },
    );

    await chainfireBoundary(ctx, tag);
    await flaredbBoundary(ctx, tag);

    const admin = await iamAdmin(ctx.target, iamNode);
    const adminToken = async () => (await iam.issueToken(admin.principal, admin.secret)).token;

    await ctx.step(
      'iam bootstraps its admin once: a second bootstrap is refused (409) and mints no admin',
      async () => {
        const second = await outcome(iam.bootstrap(`core-ops-${tag}`));
        ctx.check('a second bootstrap is refused with 409', second === 'refused 409', second);
        // the id the refused bootstrap named is still free: it made no principal, let alone an admin
        const free = await outcome(iam.createPrincipal(await adminToken(), `core-ops-${tag}`, ['tenant']));
        ctx.check(`the refused bootstrap left no principal core-ops-${tag} behind`, free === 'accepted', free);
        const still = await iam.verifyToken(await adminToken());
        ctx.check(
          'the first admin still gets a token that verifies with the admin role',
          still.valid && still.principal === admin.principal && still.roles.includes('admin'),
          JSON.stringify(still.valid ? { principal: still.principal, roles: still.roles } : still),
        );
      },
    );

    await ctx.step('iam refuses a secret that is almost right (401) and issues a token for the exact one', async () => {
      const principal = await iam.createPrincipal(await adminToken(), `core-ops-exact-${tag}`, ['tenant']);
      const last = principal.secret.at(-1) === 'A' ? 'B' : 'A';
      const almost: Array<[string, string]> = [
        ['the secret with its last character changed', `${principal.secret.slice(0, -1)}${last}`],
        ['the secret without its last character', principal.secret.slice(0, -1)],
        ['the secret with a character appended', `${principal.secret}A`],
      ];
      for (const [what, variant] of almost) {
        registerSecret(variant);
        const refused = await outcome(iam.issueToken(principal.id, variant));
        ctx.check(`iam refuses a token for ${what} (401)`, refused === 'refused 401', refused);
      }
      const exact = await iam.verifyToken((await iam.issueToken(principal.id, principal.secret)).token);
      ctx.check('the exact secret gets a token that verifies', exact.valid, JSON.stringify(exact));
    });

    await signingKeyRotation(ctx, iam, admin, tag);
    await credentialRotation(ctx, iam, admin, tag);
    await mtlsRotation(ctx, iam, admin, tag);
  },
});

async function chainfireBoundary(ctx: LaneContextWithWaits<Cluster>, tag: string): Promise<void> {
  const cf = ctx.target.ports.chainfire;
  const voters = ctx.target
    .withRole('control-plane')
    .map((n) => n.name)
    .sort();
  const first = voters[0] as string;
  await ctx.step(
    'chainfire publishes its API boundary: the control-plane voters as members, one leader for all, a put read back at its revision',
    async () => {
      const members = await cf.at(first).members();
      const names = members.map((m) => m.name).sort();
      ctx.check(
        'the members are exactly the control-plane nodes',
        names.join(',') === voters.join(','),
        `members: ${names.join(', ')}; control plane: ${voters.join(', ')}`,
      );
      const learners = members.filter((m) => m.isLearner).map((m) => m.name);
      ctx.check('no member is a learner', learners.length === 0, `learners: ${learners.join(', ') || 'none'}`);
      const statuses = await ctx.until(
        'every voter reports membership and the same elected leader',
        () => Promise.all(voters.map((n) => cf.at(n).status())),
        (all) => all.every((s) => s.member && s.leader && s.leader === all[0]?.leader),
        { timeoutMs: 30_000 },
      );
      const key = `proof/core-control-plane-ops/${tag}`;
      const readAll = () =>
        Promise.all(voters.map(async (n) => ({ node: n, read: await cf.at(n).get(key, 'linearizable') })));
      const before = await readAll();
      for (const { node, read } of before) {
        ctx.check(
          `${node} finds no value under the key before it is written`,
          !read.found && read.value === null,
          JSON.stringify(read),
        );
      }
      const written = await cf.at(first).put(key, `ops-${tag}`);
      // read at once after the put: a voter answering from before the put shows the old (absent) value
      const reads = await readAll();
      for (const { node, read } of reads) {
        ctx.check(
          `${node} reads the put at its revision`,
          read.found && read.value === `ops-${tag}` && read.modRevision === written.revision,
          `wrote at revision ${written.revision}; read ${JSON.stringify(read)}`,
        );
      }
      await ctx.artifact('chainfire-api-boundary.json', {
        operations: [...chainfireOperations],
        members,
        statuses,
        put: { key, revision: written.revision },
        before,
        reads,
      });
    },
  );
}

async function flaredbBoundary(ctx: LaneContextWithWaits<Cluster>, tag: string): Promise<void> {
  const db = ctx.target.ports.flaredb.at(ctx.target.withRole('control-plane')[0]?.name ?? 'node01');
  const table = `core_ops_${tag}`;
  // each row as "id:name:note", so the comparison does not depend on the order of a row's fields
  const rowsOf = async () =>
    (await db.query<{ id: number; name: string; note: string | null }>(`SELECT * FROM ${table} ORDER BY id`)).map(
      (r) => `${r.id}:${r.name}:${r.note ?? 'null'}`,
    );
  const columnsOf = async () => (await db.tables()).find((t) => t.name === table)?.columns.map((c) => c.name) ?? [];
  const ids = { create: `core-ops-${tag}-create`, add: `core-ops-${tag}-add-column` };

  await ctx.step(
    'flaredb applies an additive-first migration (CREATE TABLE, then ADD COLUMN) and keeps the rows written before it',
    async () => {
      const created = await db.migrate(ids.create, [
        `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
      ]);
      ctx.check('the CREATE TABLE migration is applied', created.applied, JSON.stringify(created));
      ctx.defer(`delete the rows of ${table}`, async () => {
        await db.execute(`DELETE FROM ${table}`);
      });
      await db.execute(`INSERT INTO ${table} (id, name) VALUES (?, ?), (?, ?)`, [1, 'alpha', 2, 'beta']);
      const added = await db.migrate(ids.add, [`ALTER TABLE ${table} ADD COLUMN note TEXT`]);
      ctx.check('the ADD COLUMN migration is applied', added.applied, JSON.stringify(added));
      const columns = await columnsOf();
      ctx.check('the table has the added column', [...columns].sort().join(',') === 'id,name,note', columns.join(', '));
      const rows = await rowsOf();
      ctx.check(
        'the rows written before the migration are still there, the added column empty',
        rows.join(',') === '1:alpha:null,2:beta:null',
        rows.join(', '),
      );
      await db.execute(`UPDATE ${table} SET note = ? WHERE id = ?`, ['migrated', 1]);
      const noted = await db.query<{ note: string | null }>(`SELECT note FROM ${table} WHERE id = 1`);
      ctx.check('the added column takes writes', noted[0]?.note === 'migrated', JSON.stringify(noted));
      const ledger = (await db.migrations()).map((m) => m.id);
      ctx.check(
        'the ledger records both migrations',
        ledger.includes(ids.create) && ledger.includes(ids.add),
        ledger.filter((id) => id.startsWith(`core-ops-${tag}`)).join(', '),
      );
    },
  );

  await ctx.step(
    'flaredb refuses destructive DDL (DROP TABLE, DROP COLUMN) with 409, and the table, its column and its rows remain',
    async () => {
      const before = await rowsOf();
      const attempts = [
        { id: `core-ops-${tag}-drop-table`, what: 'DROP TABLE', sql: `DROP TABLE ${table}` },
        { id: `core-ops-${tag}-drop-column`, what: 'DROP COLUMN', sql: `ALTER TABLE ${table} DROP COLUMN note` },
      ];
      const seen: Array<{ statement: string; outcome: string }> = [];
      for (const a of attempts) {
        const refused = await outcome(db.migrate(a.id, [a.sql]));
        seen.push({ statement: a.sql, outcome: refused });
        ctx.check(`${a.what} is refused with 409`, refused === 'refused 409', refused);
      }
      const tables = (await db.tables()).map((t) => t.name);
      ctx.check(`the table ${table} is still there`, tables.includes(table), tables.join(', '));
      const columns = await columnsOf();
      ctx.check('the column note is still there', columns.includes('note'), columns.join(', '));
      const after = await rowsOf();
      ctx.check(
        'every row is still there, unchanged',
        after.join(',') === before.join(','),
        `before ${before.join(', ')}; after ${after.join(', ')}`,
      );
      const ledger = (await db.migrations()).map((m) => m.id);
      const recorded = attempts.filter((a) => ledger.includes(a.id)).map((a) => a.id);
      ctx.check(
        'the ledger records no refused migration',
        recorded.length === 0,
        `recorded: ${recorded.join(', ') || 'none'}`,
      );
      await ctx.artifact('flaredb-migration-boundary.json', {
        table,
        additive: [ids.create, ids.add],
        columns,
        destructive: seen,
        rows: after.length,
      });
    },
  );
}

async function signingKeyRotation(
  ctx: LaneContextWithWaits<Cluster>,
  iam: IamPort,
  admin: IamAdmin,
  tag: string,
): Promise<void> {
  const adminToken = async () => (await iam.issueToken(admin.principal, admin.secret)).token;
  await ctx.step(
    'iam signing-key rotation overlaps: an old-key token verifies until its key is retired and not after; a new-key token verifies throughout',
    () =>
      logged(ctx, 'iam-key-rotation-tests.log', async (log) => {
        const principal = await iam.createPrincipal(await adminToken(), `core-ops-keys-${tag}`, ['tenant']);
        const old = await iam.issueToken(principal.id, principal.secret);
        log(`token issued to ${principal.id} before the rotation, signed by key ${old.kid}`);
        const rotated = await iam.rotateSigningKey(await adminToken());
        log(`rotated: current key ${rotated.current}, previous ${rotated.previous.join(', ') || 'none'}`);
        ctx.defer(`retire signing key ${old.kid} if the lane left it in overlap`, async () => {
          const state = (await iam.keys()).find((k) => k.kid === old.kid)?.state;
          if (state === 'previous') await iam.retireSigningKey(await adminToken(), old.kid);
        });
        ctx.check(
          'the rotation makes a new current key and keeps the old one as previous',
          rotated.current !== old.kid && rotated.previous.includes(old.kid),
          JSON.stringify(rotated),
        );
        const fresh = await iam.issueToken(principal.id, principal.secret);
        log(`token issued during the overlap, signed by key ${fresh.kid}`);
        ctx.check(
          'a token issued after the rotation is signed by the new key',
          fresh.kid === rotated.current,
          fresh.kid,
        );
        const overlapOld = await iam.verifyToken(old.token);
        log(`overlap: old-key token ${verdict(overlapOld)}`);
        ctx.check(
          'during the overlap a token of the old key verifies',
          overlapOld.valid && overlapOld.principal === principal.id,
          verdict(overlapOld),
        );
        const overlapNew = await iam.verifyToken(fresh.token);
        log(`overlap: new-key token ${verdict(overlapNew)}`);
        ctx.check('during the overlap a token of the new key verifies', overlapNew.valid, verdict(overlapNew));
        const published = (await iam.jwks()).keys.map((k) => k.kid ?? '');
        log(`overlap: JWKS publishes ${published.join(', ')}`);
        ctx.check(
          'during the overlap the JWKS publishes both keys',
          published.includes(old.kid) && published.includes(rotated.current),
          published.join(', '),
        );

        await iam.retireSigningKey(await adminToken(), old.kid);
        const state = (await iam.keys()).find((k) => k.kid === old.kid)?.state;
        log(`retired key ${old.kid}: state ${state}`);
        ctx.check(`key ${old.kid} is retired`, state === 'retired', String(state));
        const retiredOld = await iam.verifyToken(old.token);
        log(`after retirement: old-key token ${verdict(retiredOld)}`);
        ctx.check(
          'after its key is retired a token of the old key no longer verifies',
          !retiredOld.valid,
          verdict(retiredOld),
        );
        const afterNew = await iam.verifyToken(fresh.token);
        log(`after retirement: new-key token ${verdict(afterNew)}`);
        ctx.check('after the retirement the token of the new key still verifies', afterNew.valid, verdict(afterNew));
        const after = (await iam.jwks()).keys.map((k) => k.kid ?? '');
        log(`after retirement: JWKS publishes ${after.join(', ')}`);
        ctx.check(
          'the JWKS no longer publishes the retired key and still publishes the new one',
          !after.includes(old.kid) && after.includes(rotated.current),
          after.join(', '),
        );
      }),
  );
}

async function credentialRotation(
  ctx: LaneContextWithWaits<Cluster>,
  iam: IamPort,
  admin: IamAdmin,
  tag: string,
): Promise<void> {
  const adminToken = async () => (await iam.issueToken(admin.principal, admin.secret)).token;
  await ctx.step(
    'iam credential rotation overlaps: the new secret issues tokens, the old one until retirePreviousCredential and not after',
    () =>
      logged(ctx, 'iam-credential-rotation-tests.log', async (log) => {
        const principal = await iam.createPrincipal(await adminToken(), `core-ops-creds-${tag}`, ['tenant']);
        log(`principal ${principal.id} created with its first secret`);
        const rotated = await iam.rotateCredential(await adminToken(), principal.id);
        log(`credential of ${principal.id} rotated: a second secret issued`);
        ctx.check('the rotation issues a different secret', rotated.secret !== principal.secret);
        const overlapNew = await outcome(tokenVerifies(iam, principal.id, rotated.secret));
        log(`overlap: new secret ${overlapNew}`);
        ctx.check(
          'during the overlap the new secret gets a token that verifies',
          overlapNew === 'accepted',
          overlapNew,
        );
        const overlapOld = await outcome(tokenVerifies(iam, principal.id, principal.secret));
        log(`overlap: old secret ${overlapOld}`);
        ctx.check('during the overlap the old secret still gets a token', overlapOld === 'accepted', overlapOld);

        await iam.retirePreviousCredential(await adminToken(), principal.id);
        log(`previous credential of ${principal.id} retired`);
        const retiredOld = await outcome(iam.issueToken(principal.id, principal.secret));
        log(`after retirement: old secret ${retiredOld}`);
        ctx.check(
          'after retirePreviousCredential the old secret is refused (401)',
          retiredOld === 'refused 401',
          retiredOld,
        );
        const afterNew = await outcome(tokenVerifies(iam, principal.id, rotated.secret));
        log(`after retirement: new secret ${afterNew}`);
        ctx.check('after the retirement the new secret still gets a token', afterNew === 'accepted', afterNew);
      }),
  );
}

async function mtlsRotation(
  ctx: LaneContextWithWaits<Cluster>,
  iam: IamPort,
  admin: IamAdmin,
  tag: string,
): Promise<void> {
  const adminToken = async () => (await iam.issueToken(admin.principal, admin.secret)).token;
  await ctx.step(
    'iam mTLS CA rotation overlaps: client certificates of the old and the new CA connect during the overlap; the old one is refused once its CA is retired',
    () =>
      logged(ctx, 'iam-mtls-rotation-tests.log', async (log) => {
        type Client = ClientCertificate & { commonName: string };
        const connect = (cert: Client, bundle: string) =>
          outcome(
            iam.mtlsWhoami(cert, bundle).then((who) => {
              if (who.subject !== cert.commonName) throw new Error(`whoami answered subject ${who.subject}`);
            }),
          );
        const issue = async (commonName: string): Promise<Client> => {
          const cert = await iam.issueClientCertificate(await adminToken(), commonName);
          log(`client certificate ${commonName} issued by CA ${cert.issuer}`);
          return { ...cert, commonName };
        };
        const before = await iam.mtls();
        log(`before: trusted CAs ${describeCas(before.cas)}`);
        const oldCert = await issue(`core-ops-old-${tag}`);
        const first = await connect(oldCert, before.caBundlePem);
        log(`before the rotation: ${oldCert.commonName} ${first}`);
        ctx.check('before the rotation the old-CA certificate connects', first === 'accepted', first);

        const rotated = await iam.rotateCa(await adminToken());
        log(`rotated: CAs ${describeCas(rotated.cas)}`);
        ctx.defer('retire the previous mTLS CA if the lane left it in overlap', async () => {
          if ((await iam.mtls()).cas.some((c) => c.state === 'previous'))
            await iam.retirePreviousCa(await adminToken());
        });
        const previous = rotated.cas.find((c) => c.state === 'previous');
        const current = rotated.cas.find((c) => c.state === 'current');
        ctx.check(
          'the rotation makes a new current CA and keeps the old one as previous',
          previous?.id === oldCert.issuer && current !== undefined && current.id !== oldCert.issuer,
          describeCas(rotated.cas),
        );
        const newCert = await issue(`core-ops-new-${tag}`);
        ctx.check('the new certificate is issued by the new CA', newCert.issuer === current?.id, newCert.issuer);
        const overlapOld = await connect(oldCert, rotated.caBundlePem);
        log(`overlap: ${oldCert.commonName} ${overlapOld}`);
        ctx.check('during the overlap the old-CA certificate connects', overlapOld === 'accepted', overlapOld);
        const overlapNew = await connect(newCert, rotated.caBundlePem);
        log(`overlap: ${newCert.commonName} ${overlapNew}`);
        ctx.check('during the overlap the new-CA certificate connects', overlapNew === 'accepted', overlapNew);

        const retired = await iam.retirePreviousCa(await adminToken());
        log(`retired the previous CA: CAs ${describeCas(retired.cas)}`);
        ctx.check(
          `CA ${oldCert.issuer} is retired`,
          retired.cas.find((c) => c.id === oldCert.issuer)?.state === 'retired',
          describeCas(retired.cas),
        );
        const afterOld = await connect(oldCert, retired.caBundlePem);
        log(`after retirement: ${oldCert.commonName} ${afterOld}`);
        ctx.check('after its CA is retired the old-CA certificate is refused', afterOld !== 'accepted', afterOld);
        const afterNew = await connect(newCert, retired.caBundlePem);
        log(`after retirement: ${newCert.commonName} ${afterNew}`);
        ctx.check('after the retirement the new-CA certificate still connects', afterNew === 'accepted', afterNew);
      }),
  );
}

/** run `body` with a line log that is written as the named artifact whatever happens */
async function logged(
  ctx: LaneContextWithWaits<Cluster>,
  name: string,
  body: (log: (line: string) => void) => Promise<void>,
): Promise<void> {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(`${new Date().toISOString()} ${line}`);
  try {
    await body(log);
    log('result: every check held');
  } catch (err) {
    log(`result: failed: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  } finally {
    await ctx.artifact(name, `${lines.join('\n')}\n`);
  }
}

/** issue a token for the secret and verify it; rejects when either is refused */
async function tokenVerifies(iam: IamPort, principal: string, secret: string): Promise<void> {
  const v = await iam.verifyToken((await iam.issueToken(principal, secret)).token);
  if (!v.valid) throw new Error(`the token it got does not verify: ${v.error}`);
}

/** how a call ended: `accepted`, `refused <status>` (an HTTP refusal), or `refused: <error>` */
function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'accepted',
    (err: unknown) =>
      err instanceof HttpCallError
        ? `refused ${err.status}`
        : `refused: ${err instanceof Error ? err.message : String(err)}`,
  );
}

function verdict(v: Awaited<ReturnType<IamPort['verifyToken']>>): string {
  return v.valid ? `verifies (principal ${v.principal}, key ${v.kid})` : `does not verify (${v.error})`;
}

function describeCas(cas: Array<{ id: string; state: string }>): string {
  return cas.map((c) => `${c.id}=${c.state}`).join(', ');
}
