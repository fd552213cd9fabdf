import type { Totals } from './totals.js';
import { type Kysely, sql } from 'kysely';
import type { RecordsPage } from './records-page.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { type CommitOrder, endTurn, takeTurn, waitForPrevious } from './commit-order.js';
import { restringified } from './page-body-payloads.js';
import type { PageWrite } from './page-write.js';
import type { PageRows } from './page-statements.js';
import { notePassRecords, recordDeadLetters, RecordsAlreadyStored, ResponseTextRefused, writeRows } from './write-page-rows.js';
import { notifyChanges } from './notify-changes.js';
import { foldRowCounts } from './fold-row-counts.js';
import { preparePage } from './prepare-page.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { describeStream, type StreamKey } from '../stream/stream-key.js';
import type { TableLayout } from '../store/table-layout.js';

export interface WritePageParams {
  stream: StreamKey;
  streamId: string;
  runId: string;
  layout: TableLayout;
  deletes: 'soft' | 'hard';
  page: RecordsPage;
  /** The cursor this run believes is stored. The write fails if another run moved it meanwhile. */
  expectedCursor: string | null;
  /** `new` when none of the page's records is believed stored yet (see {@link PageRows}). Default `any`. */
  rows?: PageRows;
  /** Records per statement of the page's transaction. Default 1000 (`ROWS_PER_STATEMENT`, prepare-page.ts). */
  rowsPerStatement?: number;
  /** Orders two of Nango's cursors (`compareCursors`, nango/stream-cursor.ts), so the stored one never moves back. */
  compareCursors(a: string | null, b: string | null): number;
  /**
   * The page belongs to a `replace` backfill's pass: its ids are noted in `nango_replicator.pass_records`, so the
   * end of the pass knows the rows it saw even where nothing changed and nothing was written. Default false.
   */
  notesPass?: boolean;
}

/**
 * What one committed write (a page, or consecutive small pages sharing a transaction) did: its counters (`pages`: 1,
 * or more when small pages shared its transaction, see `joinPageWrites`; `valueErrors`: of the record versions
 * written, so summed over a run a count of errors seen, not of errors standing), and the cursor and row kind.
 */
export interface PageResult extends Totals {
  /** The stream's cursor after the commit: never behind the one before. */
  cursor: string | null;
  /** How the rows were written: `any` also when the page was planned as `new` but a record was stored already. */
  rows: PageRows;
}

/**
 * Writes one page in one transaction: the rows, deletes, value errors (each record written or removed leaves
 * exactly the error rows of its stored values) and dead letters, then the cursor
 * compare-and-set (which locks the stream's row: of two runs of one stream that read the same page, only one
 * commits it; the other fails with `stream_taken`) and the run counters. Either all of it commits or none of it
 * does, so a crash at any instant leaves the previous
 * page's state and the next run re-reads from there.
 *
 * The cursor only moves forward: re-reading older positions (`--full`) rewrites rows but keeps it.
 */
export async function writePage(db: Kysely<ReplicatorDatabase>, params: WritePageParams): Promise<PageResult> {
  return writePlannedPage(db, planPageWrite(params));
}

/** Dedups, cleans and checks the page's records (see {@link preparePage}) and works out the cursor to store. */
export function planPageWrite(params: WritePageParams): PageWrite {
  const { page } = params;
  const end = page.endCursor;
  return {
    stream: params.stream,
    streamId: params.streamId,
    runId: params.runId,
    layout: params.layout,
    prepared: preparePage(page, params.layout, params.deletes, params.rowsPerStatement),
    rejected: page.rejected.map((record) => ({ ...record, pageCursor: params.expectedCursor })),
    pages: 1,
    records: page.records.length + page.rejected.length,
    ids: new Set(page.records.map((record) => record.id)),
    expectedCursor: params.expectedCursor,
    cursor: end !== null && params.compareCursors(end, params.expectedCursor) > 0 ? end : params.expectedCursor,
    rows: params.rows ?? 'any',
    notesPass: params.notesPass ?? false,
  };
}

/**
 * Writes a planned page in one transaction. With an `order` whose `previous` is the page before it, the rows
 * are written at once but the cursor is only set, and the transaction only commits, once the previous page has
 * committed; if it failed, this one rolls back. So two pages can be written at once while cursors commit in
 * order (see {@link CommitOrder}). A transaction that failed because the page has to be written another way
 * (see `rewrite`) is followed by a second one; nothing of the first stays.
 */
export async function writePlannedPage(db: Kysely<ReplicatorDatabase>, write: PageWrite, order?: CommitOrder): Promise<PageResult> {
  // Every attempt on the connection of the first: one more taken from the pool could wait behind the pages after
  // this one, which hold theirs while they wait for this page's outcome.
  return db.connection().execute(async (connection) => {
    // The turn is held from before the first transaction to the final outcome, across a rewrite: the page after
    // this one waits for it in Postgres, never in Node with a transaction open (see CommitOrder).
    if (order !== undefined) await takeTurn(connection, order);
    try {
      let attempt = write;
      // Each rewrite turns one setting of the write to its general form for good, so there are at most two.
      for (;;) {
        try {
          return await pageTransaction(connection, attempt, order);
        } catch (error) {
          const rewritten = rewrite(attempt, error);
          if (rewritten === null) throw error;
          attempt = rewritten;
        }
      }
    } finally {
      // A connection that broke took its session lock with it.
      if (order !== undefined) await endTurn(connection, order).catch(() => undefined);
    }
  });
}

/**
 * The write to try once more after a failure that says the page has to be written another way, or null:
 * - Postgres refused the payloads as Nango wrote them: once more with JSON.stringify's text;
 * - a page written as new met a stored record: once more as an upsert.
 */
function rewrite(write: PageWrite, error: unknown): PageWrite | null {
  if (error instanceof ResponseTextRefused) {
    const statements = write.prepared.statements.map((rows) => ({ ...rows, payloads: restringified(rows.payloads) }));
    return { ...write, prepared: { ...write.prepared, statements, payloadsText: 'stringify' } };
  }
  if (error instanceof RecordsAlreadyStored) return { ...write, rows: 'any' };
  return null;
}

async function pageTransaction(db: Kysely<ReplicatorDatabase>, write: PageWrite, order: CommitOrder | undefined): Promise<PageResult> {
  const { prepared } = write;
  return db.transaction().execute(async (trx) => {
    const written = await writeRows(trx, write);
    await recordDeadLetters(trx, write);
    if (write.notesPass) await notePassRecords(trx, write);
    // Delivered by Postgres at commit, never before (and not at all on a rollback).
    await notifyChanges(trx, { schema: write.layout.schema, table: write.layout.table, stream: write.stream, count: written.changed });
    if (order !== undefined) await waitForPrevious(trx, order);

    const claimed = await trx
      .updateTable('nango_replicator.streams')
      .set({
        cursor: write.cursor,
        cursor_updated_at: sql<Date>`now()`,
        newest_modified_at: sql<Date>`GREATEST(newest_modified_at, ${prepared.newestModifiedAt}::timestamptz)`,
      })
      .where('id', '=', write.streamId)
      .where(sql<boolean>`cursor IS NOT DISTINCT FROM ${write.expectedCursor}`)
      .executeTakeFirst();
    if (claimed.numUpdatedRows !== 1n) throw streamTaken(write.stream);

    const result: PageResult = {
      cursor: write.cursor,
      pages: write.pages,
      records: write.records,
      upserted: written.upserted,
      deleted: written.deleted,
      valueErrors: written.valueErrors,
      rejected: write.rejected.length,
      nulRemoved: prepared.nulRemoved,
      rows: write.rows,
    };
    await trx
      .updateTable('nango_replicator.runs')
      .set((eb) => ({
        pages: eb('pages', '+', result.pages),
        records: eb('records', '+', result.records),
        upserted: eb('upserted', '+', result.upserted),
        deleted: eb('deleted', '+', result.deleted),
        value_errors: eb('value_errors', '+', result.valueErrors),
        rejected: eb('rejected', '+', result.rejected),
        nul_removed: eb('nul_removed', '+', result.nulRemoved),
      }))
      .where('id', '=', write.runId)
      .execute();
    // Row counts (issue 19): the deltas the triggers recorded for this stream join its row; see fold-row-counts.ts.
    await foldRowCounts(trx, write.streamId);
    return result;
  });
}

function streamTaken(stream: StreamKey): ReplicatorError {
  return new ReplicatorError(
    'stream_taken',
    `Another run moved the cursor of ${describeStream(stream)} while this one ` +
      'was reading; this page was rolled back and the other run carries on. Run again once it has finished.',
    { retry: 'terminal', details: { ...stream } },
  );
}
