import { type Kysely, sql } from 'kysely';

/**
 * `streams.read_to_end_at`: when a run first read the stream to its end (Nango's `next_cursor` null). Until then
 * the stream's first read is in progress, possibly over several runs (worker slices, a resumed crash), and what it
 * reads past its cursor is not stored yet: its pages are written with a plain INSERT (see `PageRows`).
 * Streams that already hold a cursor count as read to the end, so their runs upsert as before this column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('nango_replicator').alterTable('streams').addColumn('read_to_end_at', 'timestamptz').execute();
  await sql`UPDATE nango_replicator.streams SET read_to_end_at = COALESCE(cursor_updated_at, now()) WHERE cursor IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('nango_replicator').alterTable('streams').dropColumn('read_to_end_at').execute();
}
