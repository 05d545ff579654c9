import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { HttpError } from '../common/http-service.ts';
import { classifyDdl, isQuery, isRowWrite, normalizeStatement } from './ddl-boundary.ts';

export type SqlParams = SQLInputValue[] | Record<string, SQLInputValue>;
export type Row = Record<string, unknown>;

export interface Migration {
  id: string;
  statements: string[];
  appliedAt: string;
}

export interface TableSchema {
  name: string;
  sql: string;
  columns: Array<{ name: string; type: string; notnull: boolean; pk: boolean }>;
}

const ledger = '_flaredb_migrations';

/**
 * FlareDB's storage: a SQLite database (node:sqlite) in the state dir, in WAL mode with full fsync, plus a
 * migration ledger so a replayed migration is recognised instead of applied twice.
 */
export class SqlEngine {
  readonly db: DatabaseSync;
  /** an open transaction that holds writes without committing them (fault lose-writes-on-restart) */
  private held = false;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true });
    this.db = new DatabaseSync(join(stateDir, 'flaredb.sqlite'));
    this.db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;');
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${ledger} (id TEXT PRIMARY KEY, statements TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
  }

  /** writes are committed at once unless `durable` is false, in which case they are held uncommitted */
  setDurable(durable: boolean): void {
    if (!durable && !this.held) {
      this.db.exec('BEGIN');
      this.held = true;
    } else if (durable && this.held) {
      this.db.exec('COMMIT');
      this.held = false;
    }
  }

  tables(): TableSchema[] {
    const rows = this.db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_flaredb_%' ORDER BY name`,
      )
      .all() as Array<{ name: string; sql: string }>;
    return rows.map((t) => ({
      name: t.name,
      sql: t.sql,
      columns: (
        this.db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`).all(t.name) as Array<{
          name: string;
          type: string;
          notnull: number;
          pk: number;
        }>
      ).map((c) => ({ name: c.name, type: c.type, notnull: c.notnull === 1, pk: c.pk > 0 })),
    }));
  }

  indexes(): string[] {
    return (
      this.db
        .prepare(
          `SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name NOT LIKE '_flaredb_%'`,
        )
        .all() as Array<{ sql: string }>
    ).map((r) => r.sql);
  }

  migrations(): Migration[] {
    return (
      this.db.prepare(`SELECT id, statements, applied_at FROM ${ledger} ORDER BY applied_at, id`).all() as Array<{
        id: string;
        statements: string;
        applied_at: string;
      }>
    ).map((m) => ({ id: m.id, statements: JSON.parse(m.statements) as string[], appliedAt: m.applied_at }));
  }

  /** apply one additive migration atomically; a replay of the same id and statements is a no-op */
  migrate(id: string, statements: string[], allowDestructive: boolean): { id: string; applied: boolean } {
    const normalized = statements.map(normalizeStatement);
    for (const sql of normalized) {
      const kind = classifyDdl(sql);
      if (kind === 'destructive' && !allowDestructive) {
        throw new HttpError(409, `destructive DDL refused (migrations are additive-first): "${sql}"`);
      }
      if (kind === 'not-ddl') throw new HttpError(400, `not a schema migration statement: "${sql}"`);
    }
    const previous = this.db.prepare(`SELECT statements FROM ${ledger} WHERE id = ?`).get(id) as
      | { statements: string }
      | undefined;
    if (previous) {
      if (previous.statements !== JSON.stringify(normalized)) {
        throw new HttpError(409, `migration "${id}" was already applied with different statements`);
      }
      return { id, applied: false };
    }
    this.atomically(() => {
      for (const sql of normalized) this.db.exec(sql);
      this.db
        .prepare(`INSERT INTO ${ledger} (id, statements, applied_at) VALUES (?, ?, ?)`)
        .run(id, JSON.stringify(normalized), new Date().toISOString());
    });
    return { id, applied: true };
  }

  execute(sql: string, params: SqlParams = []): { changes: number; lastInsertRowid: number } {
    if (!isRowWrite(sql))
      throw new HttpError(400, `only INSERT/UPDATE/DELETE may be executed; schema changes are migrations: "${sql}"`);
    const res = this.run(sql, params);
    return { changes: Number(res.changes), lastInsertRowid: Number(res.lastInsertRowid) };
  }

  query(sql: string, params: SqlParams = []): Row[] {
    if (!isQuery(sql)) throw new HttpError(400, `only SELECT may be queried: "${sql}"`);
    const stmt = this.prepare(sql);
    return (Array.isArray(params) ? stmt.all(...params) : stmt.all(params)) as Row[];
  }

  rows(table: string): Row[] {
    return this.db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}" ORDER BY rowid`).all() as Row[];
  }

  /** run `fn` inside a savepoint: all of it or none of it, also inside a held transaction */
  atomically(fn: () => void): void {
    this.db.exec('SAVEPOINT flaredb_atomic');
    try {
      fn();
      this.db.exec('RELEASE flaredb_atomic');
    } catch (err) {
      this.db.exec('ROLLBACK TO flaredb_atomic; RELEASE flaredb_atomic');
      throw err;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private run(sql: string, params: SqlParams) {
    const stmt = this.prepare(sql);
    try {
      return Array.isArray(params) ? stmt.run(...params) : stmt.run(params);
    } catch (err) {
      throw new HttpError(409, `SQL failed: ${(err as Error).message}`);
    }
  }

  private prepare(sql: string) {
    try {
      return this.db.prepare(normalizeStatement(sql));
    } catch (err) {
      throw new HttpError(400, `SQL rejected: ${(err as Error).message}`);
    }
  }
}
