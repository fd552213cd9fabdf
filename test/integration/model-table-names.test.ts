import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { directModelFields } from '../../src/replicate/model-fields-lookup.js';
import { replicateStream } from '../../src/replicate/replicate-stream.js';
import { ensureModelTable } from '../../src/store/ensure-model-table.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';

const PCK = TICKETS.providerConfigKey;
const CONN = TICKETS.connectionId;

/** Fields named like Postgres system columns, SQL reserved words and the record id, beside a plain one. */
const HOSTILE: StreamKey = { providerConfigKey: PCK, connectionId: CONN, model: 'Hostile', variant: 'base' };
const hostileSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ctid: { type: 'string' },
    xmin: { type: 'number' },
    xmax: { type: 'number' },
    tableoid: { type: 'integer' },
    user: { type: 'string' },
    select: { type: 'boolean' },
    order: { type: 'integer' },
    left: { type: 'string' },
    Id: { type: 'string' },
    ID: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** Two 70-character model names that share their first 60 characters. */
const PREFIX = 'VeryLongModelNameFromSomeIntegration'.padEnd(60, 'X');
const LONG_A: StreamKey = { providerConfigKey: PCK, connectionId: CONN, model: `${PREFIX}FirstModel`, variant: 'base' };
const LONG_B: StreamKey = { providerConfigKey: PCK, connectionId: CONN, model: `${PREFIX}OtherModel`, variant: 'base' };

describe('model tables have names a data engineer can query', () => {
  const f = useReplicationFixture('model_table_names');
  const sync = (stream: StreamKey) =>
    replicateStream(
      { db: f.db, nango: f.nango, modelFields: directModelFields(f.nango), logger: f.logger },
      { stream, schema: 'nango', deletes: 'soft', fillfactor: 100, pageSize: 25 },
    );
  const tableOf = async (model: string) =>
    (await f.db.selectFrom('nango_replicator.model_tables').select('table_name').where('model', '=', model).executeTakeFirstOrThrow())
      .table_name;
  const columnsOf = async (table: string) =>
    new Map(
      (
        await f.db.selectFrom('nango_replicator.table_columns').select(['field', 'column_name']).where('table_name', '=', table).execute()
      ).map((c) => [c.field, c.column_name]),
    );

  before(() => {
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'hostile-names',
      models: [
        { name: HOSTILE.model, jsonSchema: hostileSchema },
        { name: LONG_A.model, jsonSchema: { type: 'object', properties: { id: { type: 'string' }, title: { type: 'string' } } } },
        { name: LONG_B.model, jsonSchema: { type: 'object', properties: { id: { type: 'string' }, title: { type: 'string' } } } },
      ],
      runs: 'every 5 minutes',
    });
  });

  test('fields named like system columns, reserved words or the id are stored, every record, in suffixed columns', async () => {
    const records = Array.from({ length: 60 }, (_, i) => ({
      id: `H-${i}`,
      ctid: `c${i}`,
      xmin: i + 0.5,
      xmax: -i,
      tableoid: i * 10,
      user: `octocat${i}`,
      select: i % 2 === 0,
      order: i,
      left: 'L',
      Id: `upper-${i}`,
      ID: `caps-${i}`,
      createdAt: '2026-01-02T03:04:05.000Z',
    }));
    f.standIn.store.save(PCK, CONN, HOSTILE.model, records);
    const summary = await sync(HOSTILE);
    assert.equal(summary.records, 60);

    const table = await tableOf(HOSTILE.model);
    const columns = await columnsOf(table);
    assert.deepEqual(Object.fromEntries(columns), {
      ctid: 'ctid_2',
      xmin: 'xmin_2',
      xmax: 'xmax_2',
      tableoid: 'tableoid_2',
      user: 'user_2',
      select: 'select_2',
      order: 'order_2',
      left: 'left_2',
      Id: 'id_2',
      ID: 'id_3',
      createdAt: 'created_at',
    });
    const { rows } = await sql<Record<string, unknown>>`
      SELECT id, ctid_2, xmin_2, xmax_2, tableoid_2, user_2, select_2, order_2, left_2, id_2, id_3 FROM nango.${sql.id(table)} ORDER BY id
    `.execute(f.db);
    assert.equal(rows.length, 60);
    const h7 = rows.find((r) => r.id === 'H-7');
    assert.deepEqual(h7, {
      id: 'H-7',
      ctid_2: 'c7',
      xmin_2: 7.5,
      xmax_2: -7,
      tableoid_2: '70',
      user_2: 'octocat7',
      select_2: false,
      order_2: '7',
      left_2: 'L',
      id_2: 'upper-7',
      id_3: 'caps-7',
    });
    const reserved = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_attribute a JOIN pg_get_keywords() k ON k.word = a.attname AND k.catcode IN ('R', 'T')
      WHERE a.attrelid = ${`nango.${table}`}::regclass AND a.attnum > 0
    `.execute(f.db);
    assert.equal(reserved.rows[0]?.n, 0, 'no column of the table is a reserved word');
  });

  test('two long model names that share their first 60 characters are both stored', async () => {
    f.standIn.store.save(PCK, CONN, LONG_A.model, [
      { id: 'a-1', title: 'first' },
      { id: 'a-2', title: 'first' },
    ]);
    f.standIn.store.save(PCK, CONN, LONG_B.model, [{ id: 'b-1', title: 'other' }]);
    for (let run = 0; run < 2; run++) {
      assert.equal((await sync(LONG_A)).complete, true);
      assert.equal((await sync(LONG_B)).complete, true);
    }
    const a = await tableOf(LONG_A.model);
    const b = await tableOf(LONG_B.model);
    assert.notEqual(a, b);
    const count = async (table: string) =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango.${sql.id(table)}`.execute(f.db)).rows[0]?.n;
    assert.deepEqual([await count(a), await count(b)], [2, 1]);
    const { rows } = await sql<{ table: string; index: string; primary: boolean }>`
      SELECT t.relname AS table, i.relname AS index, x.indisprimary AS primary
      FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
      WHERE t.relname IN (${a}, ${b}) ORDER BY 1, 3 DESC
    `.execute(f.db);
    assert.equal(rows.length, 6, 'a primary key, a _nango_synced_at and a _nango_txid index each');
    assert.equal(new Set(rows.map((r) => r.index)).size, 6, 'all six names differ');
    for (const row of rows) assert.ok(Buffer.byteLength(row.index) <= 63, row.index);
    assert.deepEqual(
      rows.map((r) => (r.primary ? r.index.endsWith('_pkey') : /_(synced_at|txid)_idx$/.test(r.index))),
      [true, true, true, true, true, true],
    );
  });

  test('the table and each typed column say which Nango model and field they hold, added columns too', async () => {
    f.standIn.store.save(PCK, CONN, TICKETS.model, [
      { id: 'T-1', title: 't', dueAt: '2026-01-01T00:00:00.000Z', points: 1, score: 1, done: true, tags: [], assignee: null },
    ]);
    await f.sync();
    const comments = async () =>
      new Map(
        (
          await sql<{ column: string; comment: string | null }>`
            SELECT a.attname AS column, col_description(a.attrelid, a.attnum) AS comment
            FROM pg_attribute a WHERE a.attrelid = 'nango.ticket'::regclass AND a.attnum > 0 AND NOT a.attisdropped
          `.execute(f.db)
        ).rows.map((r) => [r.column, r.comment]),
      );
    const first = await comments();
    assert.equal(first.get('title'), 'Nango field "title" (string)');
    assert.equal(first.get('due_at'), 'Nango field "dueAt" (string, date-time)');
    assert.equal(first.get('points'), 'Nango field "points" (integer)');
    assert.equal(first.get('score'), 'Nango field "score" (number)');
    assert.equal(first.get('tags'), 'Nango field "tags" (object, array or mixed)');
    const table = await sql<{ comment: string }>`SELECT obj_description('nango.ticket'::regclass, 'pg_class') AS comment`.execute(f.db);
    assert.equal(table.rows[0]?.comment, 'Nango model "Ticket", kept by nango-replicator');

    await f.sync({
      fields: [
        { field: 'title', type: 'text' },
        { field: 'closed "at"', type: 'timestamptz' },
      ],
    });
    assert.equal((await comments()).get('closed_at'), 'Nango field "closed \\"at\\"" (string, date-time)');
  });

  test('a table created before reserved words were avoided keeps its column `user`, with one warning and a comment', async () => {
    // The table as an earlier version made it: a column named `user`, and no _nango_synced_at index.
    await f.sync({ fields: [{ field: 'title', type: 'text' }] });
    await sql`DROP INDEX nango.ticket_synced_at_idx`.execute(f.db);
    await sql`ALTER TABLE nango.ticket ADD COLUMN "user" text`.execute(f.db);
    await f.db
      .insertInto('nango_replicator.table_columns')
      .values({ table_schema: 'nango', table_name: 'ticket', field: 'user', column_name: 'user', column_type: 'text', position: 1 })
      .execute();
    f.standIn.store.save(PCK, CONN, TICKETS.model, [{ id: 'T-9', title: 'nine', user: 'octocat' }]);
    const warnings = () =>
      f
        .logText()
        .split('\n')
        .filter((line) => line.includes('SQL reserved words as names')).length;
    const before = warnings();

    await f.sync({
      fields: [
        { field: 'title', type: 'text' },
        { field: 'user', type: 'text' },
      ],
    });
    await f.sync({
      fields: [
        { field: 'title', type: 'text' },
        { field: 'user', type: 'text' },
      ],
    });
    const { rows } = await sql<{ user: string }>`SELECT "user" FROM nango.ticket WHERE id = 'T-9'`.execute(f.db);
    assert.equal(rows[0]?.user, 'octocat', 'the existing column is still written');
    assert.equal(warnings() - before, 1, 'warned once, not at every run');
    const comment = await sql<{
      c: string;
    }>`SELECT col_description('nango.ticket'::regclass, attnum) AS c FROM pg_attribute WHERE attrelid = 'nango.ticket'::regclass AND attname = 'user'`.execute(
      f.db,
    );
    assert.match(comment.rows[0]?.c ?? '', /user is an SQL reserved word: always write it quoted, "user"/);

    const index = await sql<{ name: string; valid: boolean }>`
      SELECT i.relname AS name, x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'nango.ticket'::regclass AND NOT x.indisprimary AND i.relname <> 'ticket_txid_idx'
    `.execute(f.db);
    assert.deepEqual(index.rows, [{ name: 'ticket_synced_at_idx', valid: true }], 'the existing table got its index at the next run');
  });

  test('an interrupted index build is replaced, and processes building at once leave one index', async () => {
    f.standIn.store.save(PCK, CONN, TICKETS.model, [
      { id: 'T-1', title: 'a' },
      { id: 'T-2', title: 'b' },
    ]);
    await f.sync();
    await sql`DROP INDEX nango.ticket_synced_at_idx`.execute(f.db);
    // A build that failed half-way leaves an INVALID index on the same columns (both rows share one _nango_synced_at).
    await assert.rejects(
      sql`CREATE UNIQUE INDEX CONCURRENTLY broken ON nango.ticket (_nango_provider_config_key, _nango_connection_id, _nango_synced_at)`.execute(
        f.db,
      ),
      /could not create unique index/,
    );
    const ensure = () =>
      ensureModelTable({ db: f.db, logger: f.logger }, { schema: 'nango', model: TICKETS.model, fields: null, fillfactor: 100 });
    await Promise.all([ensure(), ensure(), ensure()]);
    await ensure();
    const { rows } = await sql<{ name: string; valid: boolean }>`
      SELECT i.relname AS name, x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'nango.ticket'::regclass AND NOT x.indisprimary AND i.relname <> 'ticket_txid_idx'
    `.execute(f.db);
    assert.deepEqual(rows, [{ name: 'ticket_synced_at_idx', valid: true }]);
  });

  test('a transaction left open in the database delays the index build by seconds, not the run forever', async () => {
    f.standIn.store.save(PCK, CONN, TICKETS.model, [{ id: 'T-1', title: 'a' }]);
    await f.sync();
    await sql`DROP INDEX nango.ticket_synced_at_idx`.execute(f.db);
    const blocker = new pg.Client({ connectionString: f.database.url });
    await blocker.connect();
    const indexes = async () =>
      (
        await sql<{ name: string; valid: boolean }>`
        SELECT i.relname AS name, x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'nango.ticket'::regclass AND NOT x.indisprimary AND i.relname <> 'ticket_txid_idx'
      `.execute(f.db)
      ).rows;
    try {
      // A session that wrote to the table and stays idle in its transaction, as a forgotten psql prompt would.
      await blocker.query('BEGIN');
      await blocker.query(`UPDATE nango.ticket SET title = title WHERE id = 'T-1'`);
      f.standIn.store.save(PCK, CONN, TICKETS.model, [{ id: 'T-2', title: 'b' }]);
      const summary = await f.sync();
      assert.equal(summary.records, 1, 'the run went on without the index');
      assert.match(f.logText(), /the _nango_synced_at index could not be built/);
      assert.deepEqual(
        (await indexes()).map((i) => i.valid),
        [false],
        'the interrupted build left an invalid index',
      );
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    await f.sync();
    assert.deepEqual(await indexes(), [{ name: 'ticket_synced_at_idx', valid: true }], 'the next run replaced it');
  });

  test('model tables are indexed for reading one stream since a _nango_synced_at, and for the change feed', async () => {
    f.standIn.store.save(PCK, CONN, TICKETS.model, [{ id: 'T-1', title: 't' }]);
    await f.sync();
    const { rows } = await sql<{ definition: string }>`
      SELECT pg_get_indexdef(x.indexrelid) AS definition FROM pg_index x WHERE x.indrelid = 'nango.ticket'::regclass AND NOT x.indisprimary
      ORDER BY 1`.execute(f.db);
    assert.deepEqual(
      rows.map((r) => r.definition),
      [
        'CREATE INDEX ticket_synced_at_idx ON nango.ticket USING btree (_nango_provider_config_key, _nango_connection_id, _nango_synced_at)',
        'CREATE INDEX ticket_txid_idx ON nango.ticket USING btree (_nango_txid)',
      ],
    );
  });
});
