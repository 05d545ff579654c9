/**
 * The additive-first migration boundary: a schema migration may create tables and indexes and add columns;
 * anything that drops or renames is destructive and refused.
 */
export type DdlClass = 'additive' | 'destructive' | 'not-ddl';

const additive = [
  /^CREATE\s+TABLE\b/i,
  /^CREATE\s+(UNIQUE\s+)?INDEX\b/i,
  /^ALTER\s+TABLE\s+("[^"]+"|\S+)\s+ADD\s+(COLUMN\s+)?/i,
];
const destructive = [/^DROP\s+/i, /^ALTER\s+TABLE\s+("[^"]+"|\S+)\s+(DROP|RENAME)\b/i, /^DELETE\s+FROM\s+sqlite_/i];

export function classifyDdl(statement: string): DdlClass {
  const sql = normalizeStatement(statement);
  if (destructive.some((re) => re.test(sql))) return 'destructive';
  if (additive.some((re) => re.test(sql))) return 'additive';
  return 'not-ddl';
}

/** trims one statement and its trailing semicolon; refuses several statements in one string */
export function normalizeStatement(statement: string): string {
  const sql = statement.trim().replace(/;\s*$/, '').trim();
  if (sql.includes(';')) throw new Error(`one statement per entry expected, got "${statement}"`);
  if (!sql) throw new Error('empty SQL statement');
  return sql;
}

/** only row reads (SELECT / WITH ... SELECT) may be queried */
export function isQuery(statement: string): boolean {
  return /^(SELECT|WITH)\b/i.test(normalizeStatement(statement));
}

/** only row writes may be executed outside a migration */
export function isRowWrite(statement: string): boolean {
  return /^(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(normalizeStatement(statement)) && !/sqlite_/i.test(statement);
}
