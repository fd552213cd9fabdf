import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';

/**
 * Puts a replicated fleet where hours of quiet would leave it (as `test/helpers/seed-fleet-polling.ts` does for the
 * views): every stream backed off to its safety net, its next safety-net read falling due evenly over the coming
 * period, and its integration's webhooks arriving. (A tick reads a stream half a tick before its period is up, so a
 * last read spread over the whole period would leave half a tick's worth of streams due at once: a burst of the
 * seeding, which a fleet reading at its ticks never has.) Returns the safety-net reads a minute
 * this state costs on average over a period (one per stream per effective period; the budget's stretch is 1 here).
 */
export async function seedSteadyState(
  db: Kysely<ReplicatorDatabase>,
  config: { everyMs: number; safetyNetMs: number },
): Promise<{ safetyNetReadsPerMinute: number }> {
  // Every stream, also those whose only read so far was the pull that follows their scheduler's creation (their
  // polling columns are written by their first scheduled tick).
  await sql`
    UPDATE nango_replicator.streams
       SET poll_every_ms = ${config.everyMs}::float8, safety_net_ms = ${config.safetyNetMs}::float8,
           poll_period_ms = ${config.safetyNetMs}::float8,
           empty_reads = greatest(1, ceil(ln(${config.safetyNetMs}::float8 / ${config.everyMs}::float8) / ln(2)))::int,
           last_read_at = now() - random() * ${config.safetyNetMs - config.everyMs / 2}::float8 * interval '1 millisecond',
           webhook_at = NULL, read_requested_at = NULL`.execute(db);
  await sql`
    INSERT INTO nango_replicator.polling_integrations (provider_config_key, webhook_at)
    SELECT DISTINCT provider_config_key, now() FROM nango_replicator.streams
    ON CONFLICT (provider_config_key) DO UPDATE SET webhook_at = now(), webhooks_missing_since = NULL`.execute(db);
  const { rows } = await sql<{ per_minute: number | null }>`
    SELECT sum(60000.0 / greatest(poll_period_ms, poll_every_ms))::float8 AS per_minute
      FROM nango_replicator.streams WHERE poll_every_ms IS NOT NULL`.execute(db);
  return { safetyNetReadsPerMinute: rows[0]?.per_minute ?? 0 };
}
