import { type Kysely, sql } from 'kysely';

/**
 * Nango's own count of a stream's records beside the replicator's (issue 20, "Nango's own deletions and resets"):
 * `streams.nango_record_count` is the base item's `recordCount[model]` of `GET /sync/status`, written where the
 * `detection: syncStatus` hints read it anyway, and `nango_record_count_at` when Nango last reported it. Both null
 * until then. Independent of the other migrations of the day: two nullable columns, no default, no rewrite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE nango_replicator.streams
    ADD COLUMN nango_record_count bigint,
    ADD COLUMN nango_record_count_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE nango_replicator.streams DROP COLUMN nango_record_count, DROP COLUMN nango_record_count_at`.execute(db);
}
