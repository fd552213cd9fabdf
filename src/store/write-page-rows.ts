import type { Transaction } from 'kysely';
import { hardDeleteStatement, upsertPageStatement } from './page-statements.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { PageWrite } from './write-page.js';

/** What {@link writeRows} did. */
export interface WrittenRows {
  /** Records written (newer-wins: an older version than the stored one is not). */
  upserted: number;
  /** Rows now deleted: written with a deletion, or removed (`deletes: hard`). */
  deleted: number;
  /** Value-error rows written: the values that did not fit, of the versions written. */
  valueErrors: number;
}

/**
 * The page's rows and their value errors: one upsert statement, and the hard deletes (which take the removed
 * records' value errors with them).
 */
export async function writeRows(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<WrittenRows> {
  const { prepared, layout, stream, streamId } = write;
  const written: WrittenRows = { upserted: 0, deleted: 0, valueErrors: 0 };
  if (prepared.upsertCount > 0) {
    const [row] = (await upsertPageStatement(layout, { ...stream, streamId, ...prepared }).execute(trx)).rows;
    written.upserted = Number(row?.upserted ?? 0);
    written.deleted = Number(row?.deleted ?? 0);
    written.valueErrors = Number(row?.value_errors ?? 0);
  }
  if (prepared.hardDeleteJson !== null && prepared.hardDeleteCount > 0) {
    const [row] = (await hardDeleteStatement(layout, { ...stream, streamId }, prepared.hardDeleteJson).execute(trx)).rows;
    written.deleted += Number(row?.deleted ?? 0);
  }
  return written;
}

/** Records that could not be read: dead letters, kept whole for an operator. */
export async function recordDeadLetters(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<void> {
  if (write.rejected.length > 0) {
    await trx
      .insertInto('nango_replicator.dead_letters')
      .values(write.rejected.map((r) => ({ stream_id: write.streamId, reason: r.reason, payload: JSON.stringify(r.raw), page_cursor: write.expectedCursor })))
      .execute();
  }
}
