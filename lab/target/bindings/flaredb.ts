import type { FlaredbMigration, FlaredbPort, FlaredbTable, SqlParams } from '../../../contracts/ports/flaredb.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createFlaredbPort(binding: PortBinding, node?: string): FlaredbPort {
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
