import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, type KyselyPlugin, sql } from 'kysely';
import type { SyncStatusItem } from '../../src/nango/get-sync-status.js';
import { recordNangoCounts } from '../../src/store/record-nango-counts.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const item = (connection: string, variant: string | undefined, recordCount: Record<string, number>): SyncStatusItem => ({
  connection_id: connection,
  name: 'tickets',
  status: 'SUCCESS',
  ...(variant === undefined ? {} : { variant }),
  recordCount,
});

describe("recordNangoCounts: Nango's counts from /sync/status onto the streams", () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let statements = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      statements += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };

  before(async () => {
    database = await createTestDatabase('record_nango_counts');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    await sql`INSERT INTO nango_replicator.streams (provider_config_key, connection_id, model)
      VALUES ('crm', 'c-1', 'Ticket'), ('crm', 'c-1', 'Contact'), ('crm', 'c-2', 'Ticket'), ('other', 'c-1', 'Ticket')`.execute(db);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const counts = async () =>
    (
      await sql<{ key: string; n: string | null; at: Date | null }>`
        SELECT provider_config_key || '/' || connection_id || '/' || model AS key, nango_record_count AS n,
               nango_record_count_at AS at
          FROM nango_replicator.streams ORDER BY 1`.execute(db)
    ).rows;

  test("writes each base item's count to its stream in one statement, and leaves other integrations and variants alone", async () => {
    statements = 0;
    const written = await recordNangoCounts(db.withPlugin(counter), 'crm', [
      item('c-1', 'base', { Ticket: 5, Contact: 0 }),
      item('c-1', 'v1', { Ticket: 99 }),
      item('c-2', undefined, { Ticket: 7 }),
      item('c-3', 'base', { Ticket: 1 }),
    ]);
    assert.equal(statements, 1);
    assert.equal(written, 3);
    assert.deepEqual(
      (await counts()).map((r) => [r.key, r.n]),
      [
        ['crm/c-1/Contact', '0'],
        ['crm/c-1/Ticket', '5'],
        ['crm/c-2/Ticket', '7'],
        ['other/c-1/Ticket', null],
      ],
    );
  });

  test('a count that did not change is not written again; one that changed is', async () => {
    const before = await counts();
    const written = await recordNangoCounts(db, 'crm', [
      item('c-1', 'base', { Ticket: 5, Contact: 1 }),
      item('c-2', 'base', { Ticket: 7 }),
    ]);
    assert.equal(written, 1);
    const after = await counts();
    const at = (rows: typeof before, key: string) => rows.find((r) => r.key === key)?.at?.getTime();
    assert.equal(at(after, 'crm/c-1/Ticket'), at(before, 'crm/c-1/Ticket'));
    assert.equal(after.find((r) => r.key === 'crm/c-1/Contact')?.n, '1');
  });

  test('no base item with a count: no statement at all', async () => {
    statements = 0;
    assert.equal(await recordNangoCounts(db.withPlugin(counter), 'crm', [item('c-1', 'v1', { Ticket: 3 }), item('c-2', 'base', {})]), 0);
    assert.equal(statements, 0);
  });
});
