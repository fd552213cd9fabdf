import { type RawBuilder, sql } from 'kysely';

/** The states a stream is shown in; see {@link streamStateSql}. */
export const STREAM_STATES = ['failing', 'lagging', 'never', 'fresh'] as const;
export type StreamStateName = (typeof STREAM_STATES)[number];

/** The period a stream is judged against when discovery has not recorded one (a `sync` from the command line): 1 h. */
export const DEFAULT_PERIOD_MS = 3_600_000;

/** How many of its own periods a stream may go without a successful run before it is `lagging`. */
export const LAGGING_AFTER_PERIODS = 2;

/** Which streams a view shows. Every field is optional; all given must hold. */
export interface StreamFilter {
  /** Exact integration (provider config key). */
  integration?: string;
  /** Exact connection id. */
  connection?: string;
  /** Exact model. */
  model?: string;
  /** Case-insensitive substring of integration, connection or model. */
  search?: string;
  state?: StreamStateName;
  /** Only streams without a successful run for longer than this (counted from creation when never read), ms. */
  laggingMs?: number;
}

/** The stream's period in ms, for stream `s`. */
export const periodMsSql = sql<number>`coalesce(s.period_ms, ${DEFAULT_PERIOD_MS})::float8`;

/**
 * The state of stream `s`, on the database clock: `failing` while its last error stands; `never` before its first
 * successful run; `lagging` when its last success is older than {@link LAGGING_AFTER_PERIODS} of its own period
 * (`streams.period_ms`, the `every` discovery recorded); otherwise `fresh`.
 */
export const streamStateSql = sql<StreamStateName>`CASE
  WHEN s.last_error IS NOT NULL THEN 'failing'
  WHEN s.last_success_at IS NULL THEN 'never'
  WHEN extract(epoch FROM now() - s.last_success_at) * 1000 > ${LAGGING_AFTER_PERIODS} * ${periodMsSql} THEN 'lagging'
  ELSE 'fresh' END`;

/** Worst first: failing, lagging, never read, fresh; within a state, the most periods behind first. */
export const worstFirstSql = sql`CASE WHEN s.last_error IS NOT NULL THEN 0 WHEN s.last_success_at IS NULL THEN 2
  WHEN extract(epoch FROM now() - s.last_success_at) * 1000 > ${LAGGING_AFTER_PERIODS} * ${periodMsSql} THEN 1 ELSE 3 END,
  extract(epoch FROM now() - coalesce(s.last_success_at, s.created_at)) * 1000 / ${periodMsSql} DESC, s.id`;

/** `WHERE` conditions for stream `s` (always at least `TRUE`), values as parameters. */
export function streamFilterSql(filter: StreamFilter): RawBuilder<boolean> {
  const conditions: RawBuilder<unknown>[] = [sql`TRUE`];
  if (filter.integration !== undefined) conditions.push(sql`s.provider_config_key = ${filter.integration}`);
  if (filter.connection !== undefined) conditions.push(sql`s.connection_id = ${filter.connection}`);
  if (filter.model !== undefined) conditions.push(sql`s.model = ${filter.model}`);
  if (filter.search !== undefined && filter.search !== '') {
    const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql`(s.provider_config_key ILIKE ${pattern} OR s.connection_id ILIKE ${pattern} OR s.model ILIKE ${pattern})`);
  }
  if (filter.state !== undefined) conditions.push(sql`${streamStateSql} = ${filter.state}`);
  if (filter.laggingMs !== undefined) {
    conditions.push(sql`extract(epoch FROM now() - coalesce(s.last_success_at, s.created_at)) * 1000 > ${filter.laggingMs}`);
  }
  return sql<boolean>`${sql.join(conditions, sql` AND `)}`;
}
