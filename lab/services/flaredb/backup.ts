import type { SQLInputValue } from 'node:sqlite';
import { HttpError } from '../common/http-service.ts';
import type { Migration, Row, SqlEngine } from './sql-engine.ts';

/** A logical backup: every user table's DDL and rows as JSON, the indexes, and the migration ledger. */
export interface FlaredbBackup {
  format: 'flaredb-logical-backup@1';
  createdAt: string;
  tables: Array<{ name: string; sql: string; rows: Row[] }>;
  indexes: string[];
  migrations: Migration[];
}

export function exportBackup(engine: SqlEngine): FlaredbBackup {
  return {
    format: 'flaredb-logical-backup@1',
    createdAt: new Date().toISOString(),
    tables: engine.tables().map((t) => ({ name: t.name, sql: t.sql, rows: engine.rows(t.name) })),
    indexes: engine.indexes(),
    migrations: engine.migrations(),
  };
}

/**
 * Restore a logical backup into an empty database, atomically. `dropLastRow` is the restore-drops-rows fault.
 */
export function restoreBackup(
  engine: SqlEngine,
  backup: FlaredbBackup,
  dropLastRow: boolean,
): { tables: number; rows: number } {
  if (backup?.format !== 'flaredb-logical-backup@1') {
    throw new HttpError(400, 'backup.format must be "flaredb-logical-backup@1"');
  }
  const existing = engine.tables();
  if (existing.length > 0) {
    throw new HttpError(409, `restore needs an empty database; it holds ${existing.map((t) => t.name).join(', ')}`);
  }
  let rows = 0;
  engine.atomically(() => {
    for (const table of backup.tables) {
      engine.db.exec(table.sql);
      const keep = dropLastRow ? table.rows.slice(0, -1) : table.rows;
      for (const row of keep) {
        const columns = Object.keys(row);
        const quoted = columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ');
        engine.db
          .prepare(
            `INSERT INTO "${table.name.replaceAll('"', '""')}" (${quoted}) VALUES (${columns.map(() => '?').join(', ')})`,
          )
          .run(...columns.map((c) => row[c] as SQLInputValue));
        rows++;
      }
    }
    for (const sql of backup.indexes) engine.db.exec(sql);
    const ledger = engine.db.prepare('INSERT INTO _flaredb_migrations (id, statements, applied_at) VALUES (?, ?, ?)');
    for (const m of backup.migrations) ledger.run(m.id, JSON.stringify(m.statements), m.appliedAt);
  });
  return { tables: backup.tables.length, rows };
}
