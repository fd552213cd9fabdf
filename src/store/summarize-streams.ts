import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import { type StreamFilter, streamFilterSql, streamStateSql } from './stream-filter.js';

/** Streams by state, for the top of the status page and of `status`. */
export interface StreamSummary {
  total: number;
  fresh: number;
  lagging: number;
  failing: number;
  /** Never read to a successful end yet. */
  never: number;
  /** Seconds since the oldest last success among streams that had one; null when none had. */
  worstSecondsSinceSuccess: number | null;
  /** Seconds behind of the stream furthest behind Nango (newest `_nango_last_modified_at` written); null without records. */
  worstFreshnessLagSeconds: number | null;
  /**
   * Streams whose effective period is stretched by the API budget, and streams no longer followed (no rule of the
   * configuration selects them): absent until the scheduling feeds them through the stream rows.
   */
  budgetLimited?: number;
  notFollowed?: number;
  /** Live rows over every stream (counters; no model table is counted). */
  liveRows: number;
}

/** One aggregate over `nango_replicator.streams` (one row per stream): no model table is read. */
export async function summarizeStreams(db: Kysely<ReplicatorDatabase>, filter: StreamFilter = {}): Promise<StreamSummary> {
  const { rows } = await sql<Record<keyof StreamSummary, number | null>>`
    SELECT count(*)::int AS total,
      count(*) FILTER (WHERE st = 'fresh')::int AS fresh, count(*) FILTER (WHERE st = 'lagging')::int AS lagging,
      count(*) FILTER (WHERE st = 'failing')::int AS failing, count(*) FILTER (WHERE st = 'never')::int AS never,
      max(since_success)::float8 AS "worstSecondsSinceSuccess", max(lag)::float8 AS "worstFreshnessLagSeconds",
      coalesce(sum(live), 0)::float8 + coalesce((SELECT sum(d.live) FROM nango_replicator.stream_row_deltas d
        WHERE d.stream_id IN (SELECT s.id FROM nango_replicator.streams s WHERE ${streamFilterSql(filter)})), 0)::float8 AS "liveRows"
    FROM (
      SELECT ${streamStateSql} AS st, extract(epoch FROM now() - s.last_success_at) AS since_success,
        extract(epoch FROM now() - s.newest_modified_at) AS lag, s.live_rows AS live
      FROM nango_replicator.streams s WHERE ${streamFilterSql(filter)}
    ) x`.execute(db);
  const r = rows[0];
  return {
    total: r?.total ?? 0,
    fresh: r?.fresh ?? 0,
    lagging: r?.lagging ?? 0,
    failing: r?.failing ?? 0,
    never: r?.never ?? 0,
    worstSecondsSinceSuccess: r?.worstSecondsSinceSuccess ?? null,
    worstFreshnessLagSeconds: r?.worstFreshnessLagSeconds ?? null,
    liveRows: r?.liveRows ?? 0,
  };
}
