import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from './stream-key.js';

const BATCH = 5000;

/**
 * Stores each desired stream's configured period (`streams.period_ms`), creating the stream's row when discovery
 * sees it first (so a stream never read yet shows as such). A row whose period is unchanged is not written.
 * Staleness is judged against this period (see `streamStateSql`).
 */
export async function recordStreamPeriods(
  db: Kysely<ReplicatorDatabase>,
  streams: ReadonlyArray<{ stream: StreamKey; everyMs: number }>,
): Promise<void> {
  for (let start = 0; start < streams.length; start += BATCH) {
    const batch = streams.slice(start, start + BATCH);
    await sql`
      INSERT INTO nango_replicator.streams (provider_config_key, connection_id, model, period_ms)
      SELECT * FROM unnest(${batch.map((s) => s.stream.providerConfigKey)}::text[], ${batch.map((s) => s.stream.connectionId)}::text[],
                           ${batch.map((s) => s.stream.model)}::text[], ${batch.map((s) => s.everyMs)}::bigint[])
      ON CONFLICT ON CONSTRAINT streams_stream_key DO UPDATE SET period_ms = EXCLUDED.period_ms
      WHERE streams.period_ms IS DISTINCT FROM EXCLUDED.period_ms`.execute(db);
  }
}
