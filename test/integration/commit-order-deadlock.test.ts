import { compareCursors } from '../../src/nango/stream-cursor.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { NangoRecord, RecordsPage } from '../../src/write/records-page.js';
import { PageWritePipeline } from '../../src/write/page-write-pipeline.js';
import { POSTGRES_SERIALIZATION_FAILURE } from '../../src/store/postgres-failure.js';
import type { PageRows } from '../../src/write/page-statements.js';
import { planPageWrite } from '../../src/write/write-page.js';
import { createFeedFixture, type FeedFixture, type FeedStream } from '../helpers/feed-fixture.js';

/** Resolves once a session of the database waits for a lock of this kind (`wait_event`: advisory, transactionid, ...). */
async function waitForWait(client: pg.Client, event: string): Promise<void> {
  for (let polls = 0; polls < 2_000; polls++) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`,
      [event],
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const { rows } = await client.query(
    'SELECT pid, state, wait_event_type, wait_event, left(query, 70) AS q FROM pg_stat_activity WHERE datname = current_database()',
  );
  throw new Error(`no session came to wait for a lock of kind ${event}: ${JSON.stringify(rows)}`);
}

describe('commit order across two runs of one stream', () => {
  let f: FeedFixture;
  before(async () => {
    f = await createFeedFixture('commit_order_deadlock', 1);
  });
  after(async () => {
    await f?.close();
  });

  // With the wait in Node, the second page sat idle in transaction after taking the first page's key: no session
  // waited on an advisory lock, and the three waited for ever.
  test(
    'a page written a second way, the page after it, and another run waiting on both end in a detected deadlock, not a hang',
    { timeout: 60_000 },
    async () => {
      const stream = f.streams[0] as FeedStream;
      await f.write(stream, [f.record(1), f.record(3)]);
      const page = (records: NangoRecord[]): RecordsPage => ({
        records,
        rejected: [],
        nextCursor: 'more',
        endCursor: records.at(-1)?._nango_metadata.cursor ?? null,
      });
      const plan = (records: NangoRecord[], expectedCursor: string | null, rows: PageRows) =>
        planPageWrite({
          stream: stream.key,
          streamId: stream.streamId,
          runId: stream.runId,
          layout: f.layout,
          deletes: 'soft',
          page: page(records),
          expectedCursor,
          rows,
          compareCursors,
        });

      // Another run of the stream, as a bare transaction: it inserts T-2 (uncommitted) and will want T-3.
      const other = await f.client();
      await other.query('BEGIN');
      await other.query(`INSERT INTO nango.ticket (_nango_provider_config_key, _nango_connection_id, id, _nango_raw, _nango_last_action,
      _nango_last_modified_at, _nango_cursor, _nango_synced_at) VALUES ('helpdesk', 'c0', 'T-2', '{}', 'ADDED', now(), 'c', now())`);
      const first = plan([f.record(1, { title: 'T-1 changed' }), f.record(2)], stream.cursor, 'new'); // T-1 is stored: written again as an upsert
      const second = plan([f.record(3, { title: 'T-3 changed' })], first.cursor, 'any');
      const pipeline = new PageWritePipeline(f.db, { depth: 2, maxBytes: 1e9, onCommit: () => {} });
      await pipeline.submit(first, false);
      await pipeline.submit(second, true);
      const written = pipeline.drain().then(
        () => 'committed',
        (error: { code?: string }) => error.code ?? String(error),
      );
      // The first page's second attempt waits for the other run's T-2; the second page, having written T-3, waits for
      // the first page's outcome, through Postgres.
      const watcher = await f.client(); // outside any transaction: pg_stat_activity is frozen within one
      await waitForWait(watcher, 'transactionid');
      await waitForWait(watcher, 'advisory');
      // The other run ends its transaction once its statement has ended, either way, as a run does.
      const otherOutcome = other
        .query(`UPDATE nango.ticket SET title = 'other run' WHERE id = 'T-3'`)
        .then(
          () => 'updated',
          (error: { code?: string }) => error.code ?? String(error),
        )
        .then(async (outcome) => {
          await other.query('ROLLBACK');
          return outcome;
        });
      // Postgres sees the circle (other run -> second page -> first page -> other run) and aborts one of them; the rest
      // then ends. Before the wait for the first page went through Postgres, all three waited for ever.
      const outcomes = await Promise.all([otherOutcome, written]);
      // deadlock_detected (40P01) as the other run sees it, or as the replicator reports it (a transient failure, retried).
      const detected = outcomes.some((o) => o === '40P01' || o === POSTGRES_SERIALIZATION_FAILURE);
      assert.ok(detected, `a deadlock was detected: ${JSON.stringify(outcomes)}`);
    },
  );
});
