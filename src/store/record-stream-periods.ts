import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

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
    const rows = sql`unnest(${batch.map((s) => s.stream.providerConfigKey)}::text[], ${batch.map((s) => s.stream.connectionId)}::text[],
      ${batch.map((s) => s.stream.model)}::text[], ${batch.map((s) => s.stream.variant)}::text[], ${batch.map((s) => s.everyMs)}::bigint[])
      AS v(pck, conn, model, variant, period_ms)`;
    // Two statements rather than an upsert: ON CONFLICT DO UPDATE locks every existing row, even one it leaves alone,
    // and would wait on each page transaction holding its stream's row. These touch only new or changed rows.
    await sql`
      INSERT INTO nango_replicator.streams (provider_config_key, connection_id, model, variant, period_ms)
      SELECT pck, conn, model, variant, period_ms FROM ${rows}
      ON CONFLICT ON CONSTRAINT streams_stream_key DO NOTHING`.execute(db);
    await sql`
      UPDATE nango_replicator.streams s SET period_ms = v.period_ms FROM ${rows}
      WHERE s.provider_config_key = v.pck AND s.connection_id = v.conn AND s.model = v.model AND s.variant = v.variant
        AND s.period_ms IS DISTINCT FROM v.period_ms`.execute(db);
  }
}
