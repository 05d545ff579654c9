import { HttpError, startHttpService } from '../common/http-service.ts';
import { exportBackup, type FlaredbBackup, restoreBackup } from './backup.ts';
import { flaredbFaults } from './faults.ts';
import { SqlEngine, type SqlParams } from './sql-engine.ts';

/**
 * FlareDB in the reference lab: SQL rows over SQLite (node:sqlite) in the state dir, additive-first migrations
 * with a destructive-DDL boundary, and logical backup / restore.
 *   GET  /api/v1/tables                         schema of every user table
 *   POST /api/v1/migrations {id, statements}    additive DDL only; a replay of the same id is a no-op
 *   GET  /api/v1/migrations                     the migration ledger
 *   POST /api/v1/execute {sql, params}          INSERT / UPDATE / DELETE
 *   POST /api/v1/query {sql, params}            SELECT, answered as {rows}
 *   GET  /api/v1/backup                         a logical backup (JSON)
 *   POST /api/v1/restore {backup}               into an empty database only
 */
let engine: SqlEngine | undefined;

await startHttpService({
  faults: flaredbFaults,
  routes(app, { env, faults }) {
    const db = new SqlEngine(env.stateDir);
    engine = db;
    const writable = () => db.setDurable(!faults.on('lose-writes-on-restart'));

    app.get('/api/v1/tables', () => ({ tables: db.tables() }));
    app.get('/api/v1/migrations', () => ({ migrations: db.migrations() }));
    app.post('/api/v1/migrations', (req) => {
      const body = req.body as { id?: unknown; statements?: unknown };
      if (typeof body?.id !== 'string' || !body.id) throw new HttpError(400, 'id (a migration name) is required');
      if (!Array.isArray(body.statements) || !body.statements.every((s) => typeof s === 'string')) {
        throw new HttpError(400, 'statements must be an array of SQL strings');
      }
      writable();
      return db.migrate(body.id, body.statements, faults.on('accept-destructive-ddl'));
    });
    app.post('/api/v1/execute', (req) => {
      const { sql, params } = sqlOf(req.body);
      writable();
      return db.execute(sql, params);
    });
    app.post('/api/v1/query', (req) => {
      const { sql, params } = sqlOf(req.body);
      return { rows: db.query(sql, params) };
    });
    app.get('/api/v1/backup', () => exportBackup(db));
    app.post('/api/v1/restore', (req) => {
      const backup = (req.body as { backup?: FlaredbBackup })?.backup;
      if (!backup) throw new HttpError(400, 'backup is required');
      writable();
      return restoreBackup(db, backup, faults.on('restore-drops-rows'));
    });
  },
  health: () => ({ tables: engine?.tables().length ?? 0 }),
  onShutdown: () => engine?.close(),
});

function sqlOf(body: unknown): { sql: string; params: SqlParams } {
  const b = body as { sql?: unknown; params?: unknown };
  if (typeof b?.sql !== 'string') throw new HttpError(400, 'sql (a string) is required');
  const params = b.params ?? [];
  if (typeof params !== 'object' || params === null) throw new HttpError(400, 'params must be an array or an object');
  return { sql: b.sql, params: params as SqlParams };
}
