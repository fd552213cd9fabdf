import { type Kysely, sql } from 'kysely';

/**
 * `nango_replicator.pass_records`: the ids of the records a `replace` backfill's pass has read, whether or not their
 * row changed. Unchanged records are no longer written (nothing rewritten for nothing), so a row's
 * `_nango_synced_at` alone cannot tell that the pass saw it; the end of the pass deletes only rows neither written
 * during the pass nor listed here (see `deleteUnseenRows`). Cleared when a pass starts and when it has deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE nango_replicator.pass_records (
      stream_id bigint NOT NULL REFERENCES nango_replicator.streams (id) ON DELETE CASCADE,
      record_id text NOT NULL,
      PRIMARY KEY (stream_id, record_id)
    )`.execute(db);
  await sql`
    COMMENT ON TABLE nango_replicator.pass_records IS
    'Ids read by the replace backfill in progress on a stream: rows it saw, changed or not, are never deleted as unseen'
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS nango_replicator.pass_records`.execute(db);
}
