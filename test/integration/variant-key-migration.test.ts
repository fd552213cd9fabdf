import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { createDatabase } from '../../src/store/create-database.js';
import { ensureModelTable } from '../../src/store/ensure-model-table.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const ROWS = 1_000_000;
const FIELDS = [{ field: 'title', type: 'text' as const }];

/**
 * A model table exactly as the versions before variants created it (ensure-model-table.ts then): key
 * (integration, connection, id), the synced-at and change-feed indexes, the row-count triggers without argument.
 */
async function createOldTable(db: Kysely<ReplicatorDatabase>, table: string, rows: number): Promise<void> {
  const t = sql.id('nango', table);
  await sql`CREATE SCHEMA IF NOT EXISTS nango`.execute(db);
  await sql`CREATE TABLE ${t} (
    "_nango_provider_config_key" text not null, "_nango_connection_id" text not null, "id" text not null, "title" text,
    "_nango_raw" jsonb not null, "_nango_last_action" text not null, "_nango_first_seen_at" timestamptz,
    "_nango_last_modified_at" timestamptz not null, "_nango_deleted_at" timestamptz, "_nango_pruned_at" timestamptz,
    "_nango_cursor" text not null, "_nango_synced_at" timestamptz not null, "_nango_txid" xid8,
    constraint ${sql.id(`${table}_pkey`)} primary key ("_nango_provider_config_key", "_nango_connection_id", "id"))`.execute(db);
  await sql`CREATE INDEX ${sql.id(`${table}_synced_at_idx`)} ON ${t}
    (_nango_provider_config_key, _nango_connection_id, _nango_synced_at)`.execute(db);
  await sql`CREATE INDEX ${sql.id(`${table}_txid_idx`)} ON ${t} (_nango_txid)`.execute(db);
  await sql`INSERT INTO nango_replicator.model_tables (table_schema, model, table_name) VALUES ('nango', ${table}, ${table})`.execute(db);
  await sql`INSERT INTO nango_replicator.table_columns (table_schema, table_name, field, column_name, column_type, position)
    VALUES ('nango', ${table}, 'title', 'title', 'text', 0)`.execute(db);
  await sql`
    INSERT INTO ${t} (_nango_provider_config_key, _nango_connection_id, id, title, _nango_raw, _nango_last_action,
      _nango_last_modified_at, _nango_cursor, _nango_synced_at)
    SELECT 'helpdesk', 'c' || (n % 7), 'T-' || n, 'ticket ' || n, jsonb_build_object('id', 'T-' || n), 'ADDED',
      now(), 'cursor-' || n, now()
    FROM generate_series(1, ${rows}) AS n`.execute(db);
  for (const [name, event, referencing, fn] of [
    ['nango_replicator_rows_inserted', 'INSERT', 'NEW TABLE AS new_rows', 'count_rows_inserted'],
    ['nango_replicator_rows_updated', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'count_rows_updated'],
    ['nango_replicator_rows_deleted', 'DELETE', 'OLD TABLE AS old_rows', 'count_rows_deleted'],
  ] as const) {
    await sql`CREATE TRIGGER ${sql.id(name)} AFTER ${sql.raw(event)} ON ${t} REFERENCING ${sql.raw(referencing)}
      FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id('nango_replicator', fn)}()`.execute(db);
  }
}

/** Row count and a checksum over every row's values (the variant column aside, which the old rows lack). */
async function fingerprint(db: Kysely<ReplicatorDatabase>, table: string): Promise<{ rows: number; checksum: string }> {
  const { rows } = await sql<{ rows: number; checksum: string }>`
    SELECT count(*)::int AS rows, sum(hashtextextended(concat_ws('|', _nango_provider_config_key, _nango_connection_id, id, title,
      _nango_raw::text, _nango_cursor, _nango_synced_at::text), 0)::numeric)::text AS checksum
    FROM ${sql.id('nango', table)} WHERE id <> 'written-meanwhile'`.execute(db);
  return rows[0] as { rows: number; checksum: string };
}

async function primaryKeyColumns(db: Kysely<ReplicatorDatabase>, table: string): Promise<{ name: string; columns: string[] }> {
  const { rows } = await sql<{ name: string; columns: string[] }>`
    SELECT con.conname AS name, array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
    FROM pg_constraint con WHERE con.conrelid = ${`nango.${table}`}::regclass AND con.contype = 'p'`.execute(db);
  return rows[0] as { name: string; columns: string[] };
}

describe('a model table from before variants', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  before(async () => {
    database = await createTestDatabase('variant_key_migration');
    db = createDatabase({ url: database.secretUrl, maxConnections: 8 });
    await migrateToLatest(db);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  test(`moves to the variant key in place with every row kept (${ROWS.toLocaleString('en-US')} rows), while writes go on with a 1 s lock_timeout`, async () => {
    await createOldTable(db, 'ticket', ROWS);
    await sql`INSERT INTO nango.ticket (_nango_provider_config_key, _nango_connection_id, id, _nango_raw, _nango_last_action,
      _nango_last_modified_at, _nango_cursor, _nango_synced_at) VALUES ('helpdesk', 'w', 'written-meanwhile', '{}', 'ADDED', now(), 'c', now())`.execute(
      db,
    );
    const before = await fingerprint(db, 'ticket');
    assert.equal(before.rows, ROWS);

    // A second session writes to the table all along; any wait on a lock longer than 1 s fails its statement.
    const writer = new pg.Client({ connectionString: database.url });
    await writer.connect();
    await writer.query(`SET lock_timeout = '1s'`);
    let migrating = true;
    let writes = 0;
    const writing = (async () => {
      while (migrating) {
        await writer.query(`UPDATE nango.ticket SET title = $1 WHERE _nango_connection_id = 'w' AND id = 'written-meanwhile'`, [
          `write ${writes}`,
        ]);
        writes += 1;
      }
    })();
    try {
      const { logger, text } = captureLogger('info');
      await ensureModelTable({ db, logger }, { schema: 'nango', model: 'ticket', fields: FIELDS, fillfactor: 100 });
      migrating = false;
      await writing; // rejects if a write timed out waiting for a lock
      assert.ok(writes > 0, 'the writer wrote while the table migrated');

      assert.deepEqual(await fingerprint(db, 'ticket'), before, 'every row kept, unchanged');
      const variants = await sql<{ variant: string; n: number }>`
        SELECT _nango_variant AS variant, count(*)::int AS n FROM nango.ticket GROUP BY 1`.execute(db);
      assert.deepEqual(variants.rows, [{ variant: 'base', n: ROWS + 1 }], 'every existing row is base');
      assert.deepEqual(await primaryKeyColumns(db, 'ticket'), {
        name: 'ticket_pkey',
        columns: ['_nango_provider_config_key', '_nango_connection_id', '_nango_variant', 'id'],
      });
      const log = text();
      for (const step of [/variant column _nango_variant added/, /variant-key index built/, /primary key moved/]) {
        assert.match(log, step);
      }
      assert.match(log, /"table":"nango.ticket"/);
      // Ensured again: nothing left to do.
      const again = captureLogger('info');
      await ensureModelTable({ db, logger: again.logger }, { schema: 'nango', model: 'ticket', fields: FIELDS, fillfactor: 100 });
      assert.doesNotMatch(again.text(), /variant/);
    } finally {
      migrating = false;
      await writing.catch(() => {});
      await writer.end();
    }
  });

  test('two processes migrating the same table at once both succeed', async () => {
    await createOldTable(db, 'deal', 20_000);
    const one = createDatabase({ url: database.secretUrl, maxConnections: 4 });
    const two = createDatabase({ url: database.secretUrl, maxConnections: 4 });
    try {
      const ensure = (processDb: Kysely<ReplicatorDatabase>) =>
        ensureModelTable(
          { db: processDb, logger: captureLogger('warn').logger },
          { schema: 'nango', model: 'deal', fields: FIELDS, fillfactor: 100 },
        );
      await Promise.all([ensure(one), ensure(two)]);
      assert.deepEqual((await primaryKeyColumns(db, 'deal')).columns, [
        '_nango_provider_config_key',
        '_nango_connection_id',
        '_nango_variant',
        'id',
      ]);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango.deal`.execute(db);
      assert.equal(rows[0]?.n, 20_000);
      const indexes = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'nango.deal'::regclass`.execute(db);
      assert.equal(indexes.rows[0]?.n, 3, 'the key, synced-at and change-feed indexes: no leftover');
    } finally {
      await one.destroy();
      await two.destroy();
    }
  });

  test('an invalid index a crashed build left is dropped and built again', async () => {
    await createOldTable(db, 'note', 1_000);
    await sql`ALTER TABLE nango.note ADD COLUMN _nango_variant text NOT NULL DEFAULT 'base'`.execute(db);
    await sql`CREATE UNIQUE INDEX note_variant_key ON nango.note (_nango_provider_config_key, _nango_connection_id, _nango_variant, id)`.execute(
      db,
    );
    await sql`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'nango.note_variant_key'::regclass`.execute(db);
    const { logger, text } = captureLogger('info');
    await ensureModelTable({ db, logger }, { schema: 'nango', model: 'note', fields: FIELDS, fillfactor: 100 });
    assert.match(text(), /dropping the invalid variant-key index/);
    assert.equal((await primaryKeyColumns(db, 'note')).columns[2], '_nango_variant');
  });
});
