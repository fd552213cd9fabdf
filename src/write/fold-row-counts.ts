import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/**
 * Moves the stream's committed row-count deltas (and those of the calling transaction) into `streams.live_rows` /
 * `total_rows`, in one statement. Called by the page transaction after its cursor update, which already holds the
 * stream row's lock, so it adds no wait. A delta another transaction folds at the same time is deleted, and
 * counted, once (a concurrent DELETE of the same row waits and then skips it).
 */
export async function foldRowCounts(db: Kysely<ReplicatorDatabase>, streamId: string): Promise<void> {
  await sql`
    WITH folded AS (DELETE FROM nango_replicator.stream_row_deltas WHERE stream_id = ${streamId}::bigint RETURNING live, total)
    UPDATE nango_replicator.streams
    SET live_rows = live_rows + d.live, total_rows = total_rows + d.total
    FROM (SELECT sum(live) AS live, sum(total) AS total FROM folded) d
    WHERE id = ${streamId}::bigint AND d.live IS NOT NULL`.execute(db);
}
