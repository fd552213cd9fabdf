import type { Kysely } from 'kysely';

/**
 * `streams.last_backfill`: what the stream's latest backfill did (mode, outcome, counts; for a replace pass the
 * circuit breaker's refusal and its reason), for `status`. Kept until the next backfill of the stream: unlike
 * `last_error`, an incremental run succeeding afterwards does not clear it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('nango_replicator').alterTable('streams').addColumn('last_backfill', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('nango_replicator').alterTable('streams').dropColumn('last_backfill').execute();
}
