import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { STREAM_STATES, type StreamStateName, streamStateSql } from '../store/stream-filter.js';

/** Upper bounds of the buckets of `nango_replicator_since_last_success_seconds_bucket`, seconds. */
export const SINCE_SUCCESS_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 21600, 86400, 604800] as const;

/** The fleet's figures for one (integration, model): bounded cardinality whatever the number of connections. */
export interface FleetGroup {
  integration: string;
  model: string;
  /** Streams by state (see `streamStateSql`). */
  states: Record<StreamStateName, number>;
  /** Live rows over the group's streams (the per-stream counters folded so far). */
  liveRows: number;
  /** Seconds since the oldest last success among the group's streams that had one; null when none had. */
  worstSinceSuccessSeconds: number | null;
  /** Seconds behind of the group's stream furthest behind Nango (newest record written); null without records. */
  worstFreshnessLagSeconds: number | null;
  /** Cumulative: streams whose last success ended at most `SINCE_SUCCESS_BUCKETS[i]` seconds ago; then all that had one. */
  sinceSuccessBuckets: number[];
}

/** One grouped query over `nango_replicator.streams` (one row per stream; no model table is read). */
export async function loadFleetFigures(db: Kysely<ReplicatorDatabase>): Promise<FleetGroup[]> {
  const since = sql`extract(epoch FROM now() - s.last_success_at)`;
  const buckets = SINCE_SUCCESS_BUCKETS.map((le, i) => sql`count(*) FILTER (WHERE ${since} <= ${le})::int AS ${sql.id(`b${i}`)}`);
  const states = STREAM_STATES.map((state) => sql`count(*) FILTER (WHERE ${streamStateSql} = ${state})::int AS ${sql.id(`s_${state}`)}`);
  const { rows } = await sql<Record<string, string | number | null>>`
    SELECT s.provider_config_key AS integration, s.model, ${sql.join(states)}, sum(s.live_rows)::float8 AS live_rows,
      max(${since})::float8 AS worst_since, max(extract(epoch FROM now() - s.newest_modified_at))::float8 AS worst_lag,
      ${sql.join(buckets)}, count(s.last_success_at)::int AS succeeded
    FROM nango_replicator.streams s GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  return rows.map((r) => ({
    integration: String(r.integration),
    model: String(r.model),
    states: Object.fromEntries(STREAM_STATES.map((state) => [state, Number(r[`s_${state}`] ?? 0)])) as Record<StreamStateName, number>,
    liveRows: Number(r.live_rows ?? 0),
    worstSinceSuccessSeconds: r.worst_since === null ? null : Number(r.worst_since),
    worstFreshnessLagSeconds: r.worst_lag === null ? null : Number(r.worst_lag),
    sinceSuccessBuckets: [...SINCE_SUCCESS_BUCKETS.map((_, i) => Number(r[`b${i}`] ?? 0)), Number(r.succeeded ?? 0)],
  }));
}
