import { type Kysely, sql } from 'kysely';
import type { RecordsPage } from '../nango/nango-record.js';
import { compareCursors } from '../nango/stream-cursor.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { hardDeleteStatement, upsertPageStatement } from './page-statements.js';
import { preparePage } from './prepare-page.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from './stream-key.js';
import type { TableLayout } from './table-layout.js';

export interface WritePageParams {
  stream: StreamKey;
  streamId: string;
  runId: string;
  layout: TableLayout;
  deletes: 'soft' | 'hard';
  page: RecordsPage;
  /** The cursor this run believes is stored. The write fails if another run moved it meanwhile. */
  expectedCursor: string | null;
}

/** What one committed page did. */
export interface PageResult {
  /** The stream's cursor after the commit: never behind the one before. */
  cursor: string | null;
  records: number;
  upserted: number;
  deleted: number;
  valueErrors: number;
  rejected: number;
  nulRemoved: number;
}

/**
 * Writes one page in one transaction: the cursor compare-and-set first (which also locks the stream's
 * row, so two runs of one stream serialize here), then the rows, deletes, value errors, dead letters and
 * run counters. Either all of it commits or none of it does, so a crash at any instant leaves the
 * previous page's state and the next run re-reads from there.
 *
 * The cursor only moves forward: re-reading older positions (`--full`) rewrites rows but keeps it.
 */
export async function writePage(db: Kysely<ReplicatorDatabase>, params: WritePageParams): Promise<PageResult> {
  const { page, layout, stream } = params;
  const prepared = preparePage(page, layout, params.deletes);
  const end = page.endCursor;
  const cursor = end !== null && compareCursors(end, params.expectedCursor) > 0 ? end : params.expectedCursor;

  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('nango_replicator.streams')
      .set({
        cursor,
        cursor_updated_at: sql<Date>`now()`,
        newest_modified_at: sql<Date>`GREATEST(newest_modified_at, ${prepared.newestModifiedAt}::timestamptz)`,
      })
      .where('id', '=', params.streamId)
      .where(sql<boolean>`cursor IS NOT DISTINCT FROM ${params.expectedCursor}`)
      .executeTakeFirst();
    if (claimed.numUpdatedRows !== 1n) throw streamTaken(stream);

    const written = prepared.upsertCount === 0 ? [] : (await upsertPageStatement(layout, { ...stream, ...prepared }).execute(trx)).rows;
    const hardDeleted =
      prepared.hardDeleteJson === null || prepared.hardDeleteCount === 0
        ? 0
        : Number((await hardDeleteStatement(layout, stream, prepared.hardDeleteJson).execute(trx)).numAffectedRows ?? 0n);

    if (prepared.valueErrors.length > 0) {
      await trx
        .insertInto('nango_replicator.value_errors')
        .values(prepared.valueErrors.map((e) => ({ ...e, stream_id: params.streamId })))
        .onConflict((oc) =>
          oc.columns(['stream_id', 'record_id', 'field']).doUpdateSet((eb) => ({
            reason: eb.ref('excluded.reason'),
            column_name: eb.ref('excluded.column_name'),
            column_type: eb.ref('excluded.column_type'),
            record_cursor: eb.ref('excluded.record_cursor'),
            seen_at: sql<Date>`now()`,
          })),
        )
        .execute();
    }
    if (page.rejected.length > 0) {
      await trx
        .insertInto('nango_replicator.dead_letters')
        .values(page.rejected.map((r) => ({ stream_id: params.streamId, reason: r.reason, payload: JSON.stringify(r.raw), page_cursor: params.expectedCursor })))
        .execute();
    }

    const result: PageResult = {
      cursor,
      records: page.records.length + page.rejected.length,
      upserted: written.length,
      deleted: written.filter((row) => row.deleted).length + hardDeleted,
      valueErrors: prepared.valueErrors.length,
      rejected: page.rejected.length,
      nulRemoved: prepared.nulRemoved,
    };
    await trx
      .updateTable('nango_replicator.runs')
      .set((eb) => ({
        pages: eb('pages', '+', 1),
        records: eb('records', '+', result.records),
        upserted: eb('upserted', '+', result.upserted),
        deleted: eb('deleted', '+', result.deleted),
        value_errors: eb('value_errors', '+', result.valueErrors),
        rejected: eb('rejected', '+', result.rejected),
        nul_removed: eb('nul_removed', '+', result.nulRemoved),
      }))
      .where('id', '=', params.runId)
      .execute();
    return result;
  });
}

function streamTaken(stream: StreamKey): ReplicatorError {
  return new ReplicatorError(
    'stream_taken',
    `Another run moved the cursor of ${stream.providerConfigKey}/${stream.connectionId}/${stream.model} while this one ` +
      'was reading; this page was rolled back and the other run carries on. Run again once it has finished.',
    { retry: 'terminal', details: { ...stream } },
  );
}
