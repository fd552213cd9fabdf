import { type Kysely, sql } from 'kysely';
import { effectivePeriodSql } from './polling-period-sql.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import { type StreamFilter, streamFilterSql } from './stream-filter.js';

/**
 * GET requests a minute adaptive polling saves now: what reading every stream at its `every` would cost, minus what
 * reading it at its effective period (backed off when idle, stretched by the budget) costs, summed over the streams
 * with a known period (`sum(60000 / every - 60000 / effective)`), of the streams `filter` selects (default all). One
 * aggregate over `nango_replicator.streams`; null before any of them had a scheduled read.
 */
export async function requestsSavedPerMinute(db: Kysely<ReplicatorDatabase>, filter: StreamFilter = {}): Promise<number | null> {
  const { rows } = await sql<{ saved: number | null }>`
    SELECT sum(60000.0 / s.poll_every_ms - 60000.0 / ${effectivePeriodSql})::float8 AS saved
    FROM nango_replicator.streams s
    LEFT JOIN nango_replicator.polling_integrations i ON i.provider_config_key = s.provider_config_key
    WHERE s.poll_every_ms > 0 AND ${streamFilterSql(filter)}`.execute(db);
  return rows[0]?.saved ?? null;
}
