import type { FlaredbBackup } from '../../contracts/ports/flaredb.ts';
import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { timeouts } from '../../harness/timeouts.ts';
import { callJson } from '../../helpers/http.ts';
import { nodesRunning } from '../portable/portable-cluster.ts';

/** A row as a comparable string: its columns in name order, so two equal rows give the same text. */
export function rowText(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((k) => [k, row[k]]),
  );
}

/** The rows of a table as sorted texts: two tables hold the same rows exactly when these lists are equal. */
export function rowSet(rows: Array<Record<string, unknown>>): string[] {
  return rows.map(rowText).sort();
}

/**
 * FlareDB logical backup and restore: the lane's own tables written on the first FlareDB instance, its backup
 * restored into another instance whose store is empty, and every table and row compared. A row written after the
 * backup must not appear in the restore, and the restored store holds no table the backup lacks.
 */
export async function flaredbBackupRestore(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const { flaredb } = ctx.target.ports;
  const [source, ...others] = nodesRunning(ctx.target, 'flaredb') as [string, ...string[]];
  let into: string | undefined;
  for (const node of others) {
    if ((await flaredb.at(node).tables()).length === 0) {
      into = node;
      break;
    }
  }
  if (!into) {
    ctx.block([
      `an empty FlareDB store to restore into (every FlareDB instance besides ${source} holds tables: ${others.join(', ') || 'none'})`,
    ]);
  }
  const db = flaredb.at(source);
  const accounts = `durability_${tag}_accounts`;
  const events = `durability_${tag}_events`;
  await db.migrate(`durability-proof-${tag}`, [
    `CREATE TABLE ${accounts} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, balance INTEGER, note TEXT)`,
    `CREATE TABLE ${events} (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind TEXT NOT NULL)`,
    `CREATE INDEX ${events}_by_account ON ${events} (account_id)`,
  ]);
  await db.execute(
    `INSERT INTO ${accounts} (id, name, balance, note) VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)`,
    [1, 'alpha', 100, null, 2, 'o\'brien "quoted"', -5, 'ümlaut ✓', 3, 'gamma', null, ''],
  );
  await db.execute(`INSERT INTO ${events} (id, account_id, kind) VALUES (?, ?, ?), (?, ?, ?)`, [
    1,
    1,
    'opened',
    2,
    2,
    'debited',
  ]);

  const backup = await db.backup();
  await ctx.artifact('flaredb-backup.json', backup);
  const mine = [accounts, events];
  const backedUp = new Map(backup.tables.map((t) => [t.name, t]));
  for (const table of mine) {
    const live = await db.query(`SELECT * FROM ${table}`);
    ctx.check(
      `the backup of ${source} holds every row of ${table}`,
      JSON.stringify(rowSet(backedUp.get(table)?.rows ?? [])) === JSON.stringify(rowSet(live)),
      `backup: ${backedUp.get(table)?.rows.length ?? 'no table'} rows; live: ${live.length}`,
    );
  }
  // written after the backup was taken: a restore of that backup must not hold it
  await db.execute(`INSERT INTO ${accounts} (id, name, balance, note) VALUES (?, ?, ?, ?)`, [4, 'late', 1, null]);

  const target = flaredb.at(into as string);
  const restored = await target.restore(backup);
  await compareRestore(ctx, backup, into as string, accounts);
  const rows = backup.tables.reduce((n, t) => n + t.rows.length, 0);
  ctx.check(
    'the restore reports every table and row of the backup',
    restored.tables === backup.tables.length && restored.rows === rows,
    `restore answered ${JSON.stringify(restored)}; the backup holds ${backup.tables.length} tables, ${rows} rows`,
  );
  await ctx.artifact('flaredb-restore.json', { source, restoredInto: into, answer: restored });
}

async function compareRestore(
  ctx: LaneContext<Cluster>,
  backup: FlaredbBackup,
  into: string,
  accounts: string,
): Promise<void> {
  const target = ctx.target.ports.flaredb.at(into);
  const tables = await target.tables();
  const names = tables.map((t) => t.name).sort();
  const expected = backup.tables.map((t) => t.name).sort();
  ctx.check(
    `the store restored on ${into} holds exactly the backup's tables, none besides`,
    names.join(',') === expected.join(','),
    `restored: ${names.join(', ') || '(none)'}; backup: ${expected.join(', ')}`,
  );
  for (const table of backup.tables) {
    const restored = tables.find((t) => t.name === table.name);
    if (!restored) continue;
    ctx.check(`the restored ${table.name} has the schema of the backup`, restored.sql === table.sql, restored.sql);
    const rows = await target.query(`SELECT * FROM "${table.name.replaceAll('"', '""')}"`);
    const got = rowSet(rows);
    const want = rowSet(table.rows);
    const missing = want.filter((r) => !got.includes(r));
    const extra = got.filter((r) => !want.includes(r));
    ctx.check(
      `the restored ${table.name} holds exactly the backup's rows: none missing, none extra`,
      got.length === want.length && missing.length === 0 && extra.length === 0,
      `${got.length} rows restored of ${want.length}; missing ${missing.join(' ') || 'none'}; extra ${extra.join(' ') || 'none'}`,
    );
  }
  const late = await target.query(`SELECT id FROM ${accounts} WHERE id = 4`);
  ctx.check('the row written after the backup is not in the restore', late.length === 0, JSON.stringify(late));
  const ledger = (await target.migrations()).map((m) => m.id).sort();
  const backedUp = backup.migrations.map((m) => m.id).sort();
  ctx.check(
    "the restored store's migration ledger is the backup's",
    ledger.join(',') === backedUp.join(','),
    `restored: ${ledger.join(', ')}; backup: ${backedUp.join(', ')}`,
  );
}

/**
 * ChainFire has no backup or restore operation on its port: the logical export is the lane's own key set read
 * linearizably from another voter, and the restore puts it back under a fresh prefix. Every restored key reads
 * back its exported value on every voter; a key written after the export is not restored.
 */
export async function chainfireExportRestore(ctx: LaneContext<Cluster>, tag: string): Promise<void> {
  const voters = nodesRunning(ctx.target, 'chainfire').filter((n) => ctx.target.node(n).role === 'control-plane');
  const [writer, reader] = voters as [string, string, ...string[]];
  const chainfire = ctx.target.ports.chainfire;
  const source = `proof/durability/${tag}/source`;
  const restoredPrefix = `proof/durability/${tag}/restored`;
  const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  const written = new Map<string, string>();
  for (const name of names) {
    const value = `${name}-${tag}-v1`;
    await chainfire.at(writer).put(`${source}/${name}`, value);
    written.set(name, value);
  }
  for (const name of names) {
    const read = await chainfire.at(reader).get(`${source}/${name}`, 'linearizable');
    ctx.check(`${source}/${name} reads back on ${reader} as written`, read.value === written.get(name));
  }
  // an update just before the export: the export must carry it, not the value read a moment ago
  const updated = await chainfire.at(writer).put(`${source}/alpha`, `alpha-${tag}-v2`);
  written.set('alpha', `alpha-${tag}-v2`);

  const exported: Array<{ key: string; value: string | null; modRevision: number }> = [];
  for (const name of names) {
    const read = await chainfire.at(reader).get(`${source}/${name}`, 'linearizable');
    exported.push({ key: `${source}/${name}`, value: read.value, modRevision: read.modRevision });
  }
  await ctx.artifact('chainfire-export.json', { from: reader, keys: exported });
  const stale = exported.filter((e, i) => e.value !== written.get(names[i] as string));
  ctx.check(
    'the export holds the latest acknowledged value of every key',
    stale.length === 0 && exported[0]?.modRevision === updated.revision,
    `stale: ${JSON.stringify(stale)}; alpha updated at revision ${updated.revision}`,
  );

  await chainfire.at(writer).put(`${source}/late`, `late-${tag}`);
  for (const e of exported) {
    await chainfire.at(writer).put(e.key.replace(source, restoredPrefix), e.value ?? '');
  }
  for (const voter of voters) {
    for (const e of exported) {
      const key = e.key.replace(source, restoredPrefix);
      const read = await chainfire.at(voter).get(key, 'linearizable');
      ctx.check(
        `${key} reads back its exported value on ${voter}`,
        read.found && read.value === e.value,
        JSON.stringify(read),
      );
    }
    const late = await chainfire.at(voter).get(`${restoredPrefix}/late`, 'linearizable');
    ctx.check(`the key written after the export is not restored (read on ${voter})`, !late.found, JSON.stringify(late));
  }
}

/** Every HTTP service of `node` answers /health again. */
export async function nodeServicesAnswer(ctx: LaneContext<Cluster>, node: string): Promise<void> {
  const spec = ctx.target.descriptor.nodes.find((n) => n.name === node);
  for (const [service, endpoint] of Object.entries(spec?.services ?? {})) {
    if (!endpoint || (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')) continue;
    await ctx.eventually(
      `${service} on ${node} answers its health check again`,
      () => callJson('GET', `http://${endpoint.host}:${endpoint.port}/health`, { timeoutMs: 5_000 }),
      { timeoutMs: timeouts.nodeReturns },
    );
  }
}
