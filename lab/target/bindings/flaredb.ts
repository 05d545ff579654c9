import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export type SqlValue = string | number | null;
export type SqlParams = SqlValue[] | Record<string, SqlValue>;

export interface FlaredbTable {
  name: string;
  sql: string;
  columns: Array<{ name: string; type: string; notnull: boolean; pk: boolean }>;
}

export interface FlaredbMigration {
  id: string;
  statements: string[];
  appliedAt: string;
}

/** A logical backup: each table's DDL and rows, the indexes and the migration ledger. */
export interface FlaredbBackup {
  format: string;
  createdAt: string;
  tables: Array<{ name: string; sql: string; rows: Array<Record<string, unknown>> }>;
  indexes: string[];
  migrations: FlaredbMigration[];
}

/** FlareDB: SQL rows, additive-first schema migrations with a destructive-DDL boundary, logical backup/restore. */
export interface FlaredbPort {
  at(node: string): FlaredbPort;
  tables(): Promise<FlaredbTable[]>;
  /** apply an additive migration (CREATE TABLE/INDEX, ADD COLUMN); destructive DDL is refused (HTTP 409) */
  migrate(id: string, statements: string[]): Promise<{ id: string; applied: boolean }>;
  migrations(): Promise<FlaredbMigration[]>;
  execute(sql: string, params?: SqlParams): Promise<{ changes: number; lastInsertRowid: number }>;
  query<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T[]>;
  backup(): Promise<FlaredbBackup>;
  /** restore into an empty database */
  restore(backup: FlaredbBackup): Promise<{ tables: number; rows: number }>;
}

export function createFlaredbPort(binding: PortBinding, node?: string): FlaredbPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (path: string) => `${instanceUrl(binding, 'flaredb', node)}/api/v1${path}`;
  return {
    at: (n) => createFlaredbPort(binding, n),
    tables: async () => (await callJson<{ tables: FlaredbTable[] }>('GET', url('/tables'))).tables,
    migrate: (id, statements) => callJson('POST', url('/migrations'), { body: { id, statements } }),
    migrations: async () => (await callJson<{ migrations: FlaredbMigration[] }>('GET', url('/migrations'))).migrations,
    execute: (sql, params = []) => callJson('POST', url('/execute'), { body: { sql, params } }),
    query: async <T>(sql: string, params: SqlParams = []) =>
      (await callJson<{ rows: T[] }>('POST', url('/query'), { body: { sql, params } })).rows,
    backup: () => callJson('GET', url('/backup'), { timeoutMs: 60_000 }),
    restore: (backup) => callJson('POST', url('/restore'), { body: { backup }, timeoutMs: 60_000 }),
  };
}

function unbound(binding: PortBinding): FlaredbPort {
  const no = (op: string) => () => bindingRequired(binding, 'flaredb', op);
  return {
    at: () => unbound(binding),
    tables: no('tables'),
    migrate: no('migrate'),
    migrations: no('migrations'),
    execute: no('execute'),
    query: no('query'),
    backup: no('backup'),
    restore: no('restore'),
  };
}
