import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ensureModelTable } from '../../src/store/ensure-model-table.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createFeedFixture, type FeedFixture, readFeed, TICKET_FIELDS } from '../helpers/feed-fixture.js';

const ROWS = 1_000_000;

describe('a table from before the change feed', () => {
  let f: FeedFixture;
  before(async () => {
    f = await createFeedFixture('change_position', 1);
  });
  after(async () => {
    await f?.close();
  });

  test(`gains _nango_txid and its index without being rewritten (${ROWS.toLocaleString('en-US')} rows), its old rows before the feed began`, async () => {
    // The table as a version before the feed made it: no position column, no index on it.
    await sql`ALTER TABLE nango.ticket DROP COLUMN _nango_txid`.execute(f.db);
    await sql`
      INSERT INTO nango.ticket (_nango_provider_config_key, _nango_connection_id, id, title, _nango_raw, _nango_last_action,
        _nango_last_modified_at, _nango_cursor, _nango_synced_at)
      SELECT 'helpdesk', 'c0', 'old-' || n, 'old ticket ' || n, '{}'::jsonb, 'ADDED', now(), 'c', now()
      FROM generate_series(1, ${ROWS}) AS n`.execute(f.db);
    const filenode = async () =>
      (await sql<{ node: string }>`SELECT pg_relation_filenode('nango.ticket')::text AS node`.execute(f.db)).rows[0]?.node;
    const before = await filenode();

    const { logger, text } = captureLogger('info');
    await ensureModelTable({ db: f.db, logger }, { schema: 'nango', model: 'Ticket', fields: TICKET_FIELDS, fillfactor: 100 });

    assert.equal(await filenode(), before, 'the table was not rewritten');
    const { rows } = await sql<{ n: number; positioned: number }>`
      SELECT count(*)::int AS n, count(_nango_txid)::int AS positioned FROM nango.ticket`.execute(f.db);
    assert.deepEqual(rows[0], { n: ROWS, positioned: 0 }, 'every old row has a NULL position: before the feed began');
    const index = await sql<{ valid: boolean }>`
      SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relname = 'ticket' AND a.attname = '_nango_txid' AND i.indkey::text = a.attnum::text`.execute(f.db);
    assert.equal(index.rows[0]?.valid, true, 'the position is indexed');
    assert.match(text(), /change feed \(_nango_txid\) index built/);

    // From now on, rows written have a position, and the feed from a watermark shows exactly them.
    const reader = await f.client();
    const mark = await reader.query<{ w: string }>('SELECT nango_replicator.feed_watermark()::text AS w');
    const watermark = mark.rows[0]?.w ?? null;
    await f.write(f.streams[0] as NonNullable<FeedFixture['streams'][0]>, [f.record(1, { title: 'after the feed began' })]);
    const feed = await readFeed(reader, watermark);
    assert.deepEqual(
      feed.changes.map((c) => [c.id, c.data?.title]),
      [['T-1', 'after the feed began']],
    );
  });
});
