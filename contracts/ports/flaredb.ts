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

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const flaredbOperations = [
  'at',
  'tables',
  'migrate',
  'migrations',
  'execute',
  'query',
  'backup',
  'restore',
] as const satisfies readonly (keyof FlaredbPort)[];
