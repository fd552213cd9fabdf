import type { Kysely } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/**
 * Value errors standing now per stream: rows of `nango_replicator.value_errors`, one per (record, field) whose
 * stored value did not fit its column (the same count `nango-replicator status` shows). A map from stream id to
 * its count; streams without value errors are absent. One grouped query for every stream, served by the table's
 * primary key (stream_id, record_id, field).
 */
export async function countValueErrors(db: Kysely<ReplicatorDatabase>): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('nango_replicator.value_errors')
    .select(['stream_id', (eb) => eb.fn.countAll().as('errors')])
    .groupBy('stream_id')
    .execute();
  // count(*) is a bigint, which pg returns as a string; a stream holds far fewer than 2^53 errors.
  return new Map(rows.map((row) => [row.stream_id, Number(row.errors)]));
}
