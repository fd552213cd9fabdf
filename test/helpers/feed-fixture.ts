import { compareCursors } from '../../src/nango/stream-cursor.js';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { NangoRecord, RecordsPage } from '../../src/write/records-page.js';
import { modelFieldsFromSync } from '../../src/schema/model-fields.js';
import { createDatabase } from '../../src/store/create-database.js';
import { ensureModelTable } from '../../src/store/ensure-model-table.js';
import { ensureStream } from '../../src/store/ensure-stream.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import { startRun } from '../../src/store/record-run.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import type { TableLayout } from '../../src/store/table-layout.js';
import { writePage } from '../../src/write/write-page.js';
import { captureLogger } from './capture-logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { makeTicket, ticketJsonSchema } from './ticket-model.js';

export const TICKET_FIELDS = modelFieldsFromSync({ json_schema: { definitions: { Ticket: ticketJsonSchema } } }, 'Ticket');

/** One stream of the feed tests, with the cursor it stands at and a run to write under. */
export interface FeedStream {
  key: StreamKey;
  streamId: string;
  runId: string;
  cursor: string | null;
}

/** A database with the ticket table and `streams` streams of it (connections c0, c1, ...), pages written by hand. */
export interface FeedFixture {
  database: TestDatabase;
  db: Kysely<ReplicatorDatabase>;
  /** The ticket table's layout pages are written with (a test may replace it, e.g. once history is on). */
  layout: TableLayout;
  streams: FeedStream[];
  /** A record of ticket `n` with `overrides`, modified at the next instant of a clock of its own. */
  record(n: number, overrides?: Record<string, unknown>, meta?: Partial<NangoRecord['_nango_metadata']>): NangoRecord;
  /** Writes `records` as one page of `stream` (in its own transaction), moving its cursor. */
  write(
    stream: FeedStream,
    records: NangoRecord[],
    options?: { deletes?: 'soft' | 'hard'; expectedCursor?: string | null },
  ): ReturnType<typeof writePage>;
  /** A session of its own (pg.Client), closed by `close()`. */
  client(): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function createFeedFixture(label: string, streams: number, options: { history?: boolean } = {}): Promise<FeedFixture> {
  const database = await createTestDatabase(label);
  const db = createDatabase({ url: database.secretUrl, maxConnections: 20 });
  await migrateToLatest(db);
  const { logger } = captureLogger('warn');
  const layout = await ensureModelTable(
    { db, logger },
    { schema: 'nango', model: 'Ticket', fields: TICKET_FIELDS, fillfactor: 100, history: options.history },
  );
  const all: FeedStream[] = [];
  for (let i = 0; i < streams; i++) {
    const key = { providerConfigKey: 'helpdesk', connectionId: `c${i}`, model: 'Ticket', variant: 'base' };
    const state = await ensureStream(db, key);
    all.push({ key, streamId: state.id, runId: await startRun(db, state.id, 'sync'), cursor: null });
  }
  const clients: pg.Client[] = [];
  let tick = 0;
  const fixture: FeedFixture = {
    database,
    db,
    layout,
    streams: all,
    record(n, overrides = {}, meta = {}) {
      const at = new Date(Date.UTC(2030, 0, 1) + ++tick * 1000).toISOString();
      const cursor = Buffer.from(`${at}||00000000-0000-4000-8000-${String(tick).padStart(12, '0')}`).toString('base64');
      const metadata = {
        first_seen_at: at,
        last_modified_at: at,
        last_action: 'UPDATED' as const,
        deleted_at: null,
        pruned_at: null,
        cursor,
        ...meta,
      };
      return { ...makeTicket(n, overrides), id: `T-${n}`, _nango_metadata: metadata } as NangoRecord;
    },
    async write(stream, records, options = {}) {
      const page: RecordsPage = { records, rejected: [], nextCursor: null, endCursor: records.at(-1)?._nango_metadata.cursor ?? null };
      const expectedCursor = options.expectedCursor !== undefined ? options.expectedCursor : stream.cursor;
      const result = await writePage(db, {
        stream: stream.key,
        streamId: stream.streamId,
        runId: stream.runId,
        layout: fixture.layout,
        deletes: options.deletes ?? 'soft',
        page,
        expectedCursor,
        compareCursors,
      });
      stream.cursor = result.cursor;
      return result;
    },
    async client() {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.end().catch(() => undefined);
      await db.destroy();
      await database.drop();
    },
  };
  return fixture;
}

/** Reads the change feed of the ticket table from `watermark` (null: everything): the next watermark and the changes. */
export async function readFeed(
  client: pg.Client,
  watermark: string | null,
): Promise<{
  watermark: string;
  changes: { change: string; connection_id: string; id: string; txid: string; data: Record<string, unknown> | null }[];
}> {
  const { rows } = await client.query<{
    next_watermark: string;
    change: string;
    connection_id: string;
    id: string;
    _nango_txid: string;
    data: Record<string, unknown> | null;
  }>(
    `SELECT next_watermark::text, change, connection_id, id, _nango_txid::text, data FROM nango_replicator.changes_since('nango.ticket'::regclass, $1::xid8)`,
    [watermark],
  );
  const [mark, ...changes] = rows;
  if (mark?.change !== 'watermark') throw new Error('the feed did not start with its watermark');
  return { watermark: mark.next_watermark, changes: changes.map((c) => ({ ...c, txid: c._nango_txid })) };
}

/** Resolves once at least `count` sessions of the database wait for a row lock (not an advisory lock). */
export async function waitForLockWaits(client: pg.Client, count: number): Promise<void> {
  for (let polls = 0; polls < 2_000; polls++) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
         AND wait_event_type = 'Lock' AND wait_event <> 'advisory'`,
    );
    if ((rows[0]?.n ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} sessions came to wait for a row lock`);
}
