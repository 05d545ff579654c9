import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlaredbPort } from '../../contracts/ports/flaredb.ts';
import { createFlaredbPort } from '../../lab/target/bindings/flaredb.ts';
import { LabServiceProcess } from './support/lab-service-process.ts';

describe('flaredb lab service', () => {
  let svc: LabServiceProcess;
  let db: FlaredbPort;

  beforeAll(async () => {
    svc = await LabServiceProcess.start({ service: 'flaredb' });
    db = createFlaredbPort(svc.binding());
    await db.migrate('001-tenants', ['CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL)']);
  }, 60_000);
  afterAll(async () => {
    await svc?.dispose();
  }, 60_000);

  it('keeps committed rows across a restart and a SIGKILL', async () => {
    await db.execute('INSERT INTO tenants (name) VALUES (?)', ['alpha']);
    await svc.restart();
    await db.execute('INSERT INTO tenants (name) VALUES (:name)', { name: 'beta' });
    await svc.kill();
    await svc.launch();
    const rows = await db.query<{ name: string }>('SELECT name FROM tenants ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual(['alpha', 'beta']);
  });

  it('applies additive migrations once, and refuses destructive DDL with a clear error', async () => {
    const first = await db.migrate('002-tenant-tier', ["ALTER TABLE tenants ADD COLUMN tier TEXT DEFAULT 'free'"]);
    expect(first.applied).toBe(true);
    expect(
      (await db.migrate('002-tenant-tier', ["ALTER TABLE tenants ADD COLUMN tier TEXT DEFAULT 'free'"])).applied,
    ).toBe(false);
    const columns = (await db.tables()).find((t) => t.name === 'tenants')?.columns.map((c) => c.name);
    expect(columns).toEqual(['id', 'name', 'tier']);
    await expect(db.migrate('003-drop', ['ALTER TABLE tenants DROP COLUMN tier'])).rejects.toThrow(
      /409.*destructive DDL refused/,
    );
    await expect(db.migrate('004-rename', ['ALTER TABLE tenants RENAME COLUMN name TO label'])).rejects.toThrow(
      /destructive DDL refused/,
    );
    await expect(db.migrate('005-drop-table', ['DROP TABLE tenants'])).rejects.toThrow(/destructive/);
    await expect(db.execute('DROP TABLE tenants')).rejects.toThrow(/400/);
    expect((await db.migrations()).map((m) => m.id)).toEqual(['001-tenants', '002-tenant-tier']);
  });

  it('restores a logical backup into an empty database, and only into an empty one', async () => {
    const backup = await db.backup();
    expect(backup.tables.find((t) => t.name === 'tenants')?.rows).toHaveLength(2);
    await expect(db.restore(backup)).rejects.toThrow(/needs an empty database/);
    const fresh = await LabServiceProcess.start({ service: 'flaredb', node: 'node02' });
    try {
      const other = createFlaredbPort(fresh.binding());
      expect(await other.restore(backup)).toEqual({ tables: 1, rows: 2 });
      expect(await other.query('SELECT name, tier FROM tenants ORDER BY id')).toEqual([
        { name: 'alpha', tier: 'free' },
        { name: 'beta', tier: 'free' },
      ]);
      expect((await other.migrations()).map((m) => m.id)).toEqual(['001-tenants', '002-tenant-tier']);
    } finally {
      await fresh.dispose();
    }
  });

  it('fault restore-drops-rows loses a row on restore', async () => {
    const backup = await db.backup();
    const fresh = await LabServiceProcess.start({ service: 'flaredb', node: 'node03' });
    try {
      await fresh.setFaults({ 'restore-drops-rows': true });
      const other = createFlaredbPort(fresh.binding());
      expect((await other.restore(backup)).rows).toBe(1);
      expect(await other.query('SELECT * FROM tenants')).toHaveLength(1);
    } finally {
      await fresh.dispose();
    }
  });

  it('fault accept-destructive-ddl lets a DROP COLUMN through', async () => {
    await svc.setFaults({ 'accept-destructive-ddl': true });
    await db.migrate('006-scratch', ['CREATE TABLE scratch (a TEXT, b TEXT)']);
    expect((await db.migrate('007-drop-b', ['ALTER TABLE scratch DROP COLUMN b'])).applied).toBe(true);
    await svc.setFaults({});
  });

  it('fault lose-writes-on-restart acknowledges writes that a restart then loses', async () => {
    await svc.setFaults({ 'lose-writes-on-restart': true });
    await db.execute('INSERT INTO tenants (name) VALUES (?)', ['volatile']);
    expect(await db.query('SELECT * FROM tenants WHERE name = ?', ['volatile'])).toHaveLength(1);
    await svc.kill();
    await svc.setFaults({});
    await svc.launch();
    expect(await db.query('SELECT * FROM tenants WHERE name = ?', ['volatile'])).toHaveLength(0);
    expect(await db.query('SELECT * FROM tenants')).toHaveLength(2);
  });
});
