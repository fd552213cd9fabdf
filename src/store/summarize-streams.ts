import { type Kysely, sql } from 'kysely';
import { CONNECTIONS_TABLE } from './ensure-connections-table.js';
import { budgetLimitedSql } from './polling-period-sql.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import { variantGoneSql } from './variant-gone-sql.js';
import { type StreamFilter, streamFilterSql, streamStateSql } from './stream-filter.js';
import { countsDifferSql } from './counts-differ-sql.js';

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
  /** Streams whose effective period is stretched by the API budget (their polling reason says `budget-limited`). */
  budgetLimited?: number;
  /**
   * Streams no longer read: of a connection `<schema>._nango_connections` marks deleted, or a variant Nango no longer
   * lists (`variantGoneSql`). Absent when no target schema was given (or its table does not exist yet) and no variant
   * is gone.
   */
  notFollowed?: number;
  /** Live rows over every stream (counters; no model table is counted). */
  liveRows: number;
  /**
   * Streams whose live rows and Nango's record count differ by more than 1% (a hint:
   * `countsDifferSql`); 0 when Nango's count was never read.
   */
  countsDiffer?: number;
}

/**
 * One aggregate over `nango_replicator.streams` (one row per stream): no model table is read. With `schema`, the
 * target schema's `_nango_connections` is joined (by its primary key) to count the streams not followed.
 */
export async function summarizeStreams(
  db: Kysely<ReplicatorDatabase>,
  filter: StreamFilter = {},
  options: { schema?: string } = {},
): Promise<StreamSummary> {
  const connections = options.schema === undefined ? null : await connectionsTable(db, options.schema);
  const deleted = connections === null ? sql`NULL::timestamptz` : sql`c.deleted_at`;
  const joinConnections =
    connections === null
      ? sql``
      : sql`LEFT JOIN ${connections} c ON c.provider_config_key = s.provider_config_key AND c.connection_id = s.connection_id`;
  const { rows } = await sql<Record<keyof StreamSummary, number | null>>`
    SELECT count(*)::int AS total,
      count(*) FILTER (WHERE st = 'fresh')::int AS fresh, count(*) FILTER (WHERE st = 'lagging')::int AS lagging,
      count(*) FILTER (WHERE st = 'failing')::int AS failing, count(*) FILTER (WHERE st = 'never')::int AS never,
      max(since_success)::float8 AS "worstSecondsSinceSuccess", max(lag)::float8 AS "worstFreshnessLagSeconds",
      count(*) FILTER (WHERE budget_limited)::int AS "budgetLimited", count(*) FILTER (WHERE deleted_at IS NOT NULL OR variant_gone)::int AS "notFollowed",
      count(*) FILTER (WHERE counts_differ)::int AS "countsDiffer",
      coalesce(sum(live), 0)::float8 + coalesce((SELECT sum(d.live) FROM nango_replicator.stream_row_deltas d
        WHERE d.stream_id IN (SELECT s.id FROM nango_replicator.streams s WHERE ${streamFilterSql(filter)})), 0)::float8 AS "liveRows"
    FROM (
      SELECT ${streamStateSql} AS st, extract(epoch FROM now() - s.last_success_at) AS since_success,
        extract(epoch FROM now() - s.newest_modified_at) AS lag, s.live_rows AS live,
        ${budgetLimitedSql} AS budget_limited, ${deleted} AS deleted_at, ${variantGoneSql} AS variant_gone,
        ${countsDifferSql(sql`s.live_rows + coalesce(d.live, 0)`, sql`s.nango_record_count`)} AS counts_differ
      FROM nango_replicator.streams s
      LEFT JOIN nango_replicator.polling_integrations i ON i.provider_config_key = s.provider_config_key
      -- The deltas not folded yet, for the counts' flag (a small table: one hash join, not a lookup per stream).
      LEFT JOIN (SELECT stream_id, sum(live) AS live FROM nango_replicator.stream_row_deltas GROUP BY stream_id) d ON d.stream_id = s.id
      ${joinConnections}
      WHERE ${streamFilterSql(filter)}
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
    budgetLimited: r?.budgetLimited ?? 0,
    ...(connections === null && !r?.notFollowed ? {} : { notFollowed: r?.notFollowed ?? 0 }),
    liveRows: r?.liveRows ?? 0,
    countsDiffer: r?.countsDiffer ?? 0,
  };
}

/** `<schema>._nango_connections` as an identifier, or null while discovery has not created it. */
async function connectionsTable(db: Kysely<ReplicatorDatabase>, schema: string) {
  const { rows } = await sql<{ found: boolean }>`
    SELECT to_regclass(format('%I.%I', ${schema}::text, ${CONNECTIONS_TABLE}::text)) IS NOT NULL AS found`.execute(db);
  return rows[0]?.found === true ? sql.id(schema, CONNECTIONS_TABLE) : null;
}
