import { sql, type Transaction } from 'kysely';
import { hardDeleteStatement, upsertPageStatement } from './page-statements.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { PageWrite } from './write-page.js';

/** The page's rows: one upsert statement, and the hard deletes. Returns rows written and rows now deleted. */
export async function writeRows(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<{ upserted: number; deleted: number }> {
  const { prepared, layout, stream } = write;
  let upserted = 0;
  let deleted = 0;
  if (prepared.upsertCount > 0) {
    const [row] = (await upsertPageStatement(layout, { ...stream, ...prepared }).execute(trx)).rows;
    upserted = Number(row?.upserted ?? 0);
    deleted = Number(row?.deleted ?? 0);
  }
  if (prepared.hardDeleteJson !== null && prepared.hardDeleteCount > 0) {
    deleted += Number((await hardDeleteStatement(layout, stream, prepared.hardDeleteJson).execute(trx)).numAffectedRows ?? 0n);
  }
  return { upserted, deleted };
}

/** Value errors (upserted: the latest reason wins) and records that could not be read (dead letters). */
export async function recordProblems(trx: Transaction<ReplicatorDatabase>, write: PageWrite): Promise<void> {
  const { valueErrors } = write.prepared;
  if (valueErrors.length > 0) {
    await trx
      .insertInto('nango_replicator.value_errors')
      .values(valueErrors.map((e) => ({ ...e, stream_id: write.streamId })))
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
  if (write.rejected.length > 0) {
    await trx
      .insertInto('nango_replicator.dead_letters')
      .values(write.rejected.map((r) => ({ stream_id: write.streamId, reason: r.reason, payload: JSON.stringify(r.raw), page_cursor: write.expectedCursor })))
      .execute();
  }
}
