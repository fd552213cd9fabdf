import { type Kysely, sql } from 'kysely';
import { schedulerOffsetMs } from '../../src/jobs/discovery/scheduler-offset.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';

/**
 * Puts a replicated fleet where hours of quiet would leave it (as `test/helpers/seed-fleet-polling.ts` does for the
 * views): every stream backed off to its safety net and its integration's webhooks arriving, each stream last read
 * at one of its own ticks (its scheduler's slot in the period, `schedulerOffsetMs`), 0 to safetyNet/every - 1 ticks
 * ago at random: so from the first tick on, a 1/(safetyNet/every) share of the streams is read in each period, as in
 * a fleet that has run for a safety net. (Last reads spread over the period without regard to the slots would leave
 * streams due at once, or none for a whole tick: a burst or a lull of the seeding, not of the fleet.) Returns the
 * safety-net reads a minute this state costs on average (one per stream per effective period; the stretch is 1).
 */
export async function seedSteadyState(
  db: Kysely<ReplicatorDatabase>,
  config: { everyMs: number; safetyNetMs: number },
): Promise<{ safetyNetReadsPerMinute: number }> {
  const { everyMs, safetyNetMs } = config;
  const ticks = Math.max(1, Math.round(safetyNetMs / everyMs));
  // Every stream, also those whose only read so far was the pull that follows their scheduler's creation (their
  // polling columns are written by their first scheduled tick).
  const streams = await db
    .selectFrom('nango_replicator.streams')
    .select(['id', 'provider_config_key', 'connection_id', 'model', 'variant'])
    .execute();
  const nowMs = Date.now();
  const lastReads = streams.map((s) => {
    const id = streamSchedulerId({
      providerConfigKey: s.provider_config_key,
      connectionId: s.connection_id,
      model: s.model,
      variant: s.variant,
    });
    const offsetMs = schedulerOffsetMs(id, everyMs);
    const lastTickMs = Math.floor((nowMs - offsetMs) / everyMs) * everyMs + offsetMs;
    return new Date(lastTickMs - Math.floor(Math.random() * ticks) * everyMs).toISOString();
  });
  await sql`
    UPDATE nango_replicator.streams s
       SET poll_every_ms = ${everyMs}::float8, safety_net_ms = ${safetyNetMs}::float8, poll_period_ms = ${safetyNetMs}::float8,
           empty_reads = greatest(1, ceil(ln(${safetyNetMs}::float8 / ${everyMs}::float8) / ln(2)))::int,
           last_read_at = u.last_read_at, webhook_at = NULL, read_requested_at = NULL
      FROM unnest(${streams.map((s) => s.id)}::bigint[], ${lastReads}::timestamptz[]) AS u(id, last_read_at)
     WHERE s.id = u.id`.execute(db);
  await sql`
    INSERT INTO nango_replicator.polling_integrations (provider_config_key, webhook_at)
    SELECT DISTINCT provider_config_key, now() FROM nango_replicator.streams
    ON CONFLICT (provider_config_key) DO UPDATE SET webhook_at = now(), webhooks_missing_since = NULL`.execute(db);
  const { rows } = await sql<{ per_minute: number | null }>`
    SELECT sum(60000.0 / greatest(poll_period_ms, poll_every_ms))::float8 AS per_minute
      FROM nango_replicator.streams WHERE poll_every_ms IS NOT NULL`.execute(db);
  return { safetyNetReadsPerMinute: rows[0]?.per_minute ?? 0 };
}
