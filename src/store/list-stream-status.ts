import { type Kysely, sql } from 'kysely';
import { pollingColumnsSql, type PollingColumns, streamPolling } from './stream-polling.js';
import type { ReplicatorDatabase, RunStatus } from './replicator-tables.js';
import { periodMsSql, type StreamFilter, streamFilterSql, type StreamStateName, streamStateSql, worstFirstSql } from './stream-filter.js';
import { liveRowsOf, totalRowsOf } from './stream-row-counts.js';
import { countsDifferSql } from './counts-differ-sql.js';
import { variantGoneSql } from './variant-gone-sql.js';

/** One stream as `nango-replicator status` shows it. Times come from the database clock. */
export interface StreamStatus {
  /** The stream's id in `nango_replicator.streams`. */
  id: string;
  providerConfigKey: string;
  connectionId: string;
  model: string;
  /** The sync variant, `base` for a sync without variants. */
  variant: string;
  /** Rows of this stream not deleted; null when its table does not exist (yet). */
  rows: number | null;
  /** Rows of this stream marked deleted (soft deletes). */
  deletedRows: number | null;
  /**
   * Nango's own count of the stream's records (`recordCount` of `GET /sync/status`, read by the `detection:
   * syncStatus` hints; it ignores variants); null when never read.
   */
  nangoRecordCount: number | null;
  /** When the replicator read that count from Nango (written when it changes); null when never read. */
  nangoRecordCountAt: Date | null;
  /** The live rows and Nango's count differ by more than 1% of the larger (a hint; `countsDifferSql`). */
  countsDiffer: boolean;
  /**
   * Value errors standing now: rows of `nango_replicator.value_errors` for this stream, one per (record, field)
   * whose stored value did not fit its column. A later version that fits, or a hard delete, takes its error away,
   * so this is a current count, not a total of errors ever seen (that is `runs.value_errors`, per run).
   */
  valueErrors: number;
  /** `failing`, `lagging` (no success for two of its periods), `never` (read) or `fresh`; see `streamStateSql`. */
  state: StreamStateName;
  /** The period the stream is judged against, ms: its `every` as discovery recorded it, else 1 h. */
  periodMs: number;
  lastSuccessAt: Date | null;
  /** Since the last successful run ended, ms; null before the first. */
  sinceLastSuccessMs: number | null;
  lastRunStartedAt: Date | null;
  /**
   * The latest run: its kind, status (`running`, `succeeded`, `failed`, `abandoned`: its process stopped without
   * finishing it, `superseded`: it gave way to another run of the stream) and times; null before the first.
   */
  lastRun: { kind: string; status: RunStatus; startedAt: Date; finishedAt: Date | null; records: number } | null;
  /** Since the cursor last moved (a page committed), ms; null before the first page. */
  cursorAgeMs: number | null;
  /** Now minus the newest `_nango_last_modified_at` written, ms; null before the first record. */
  freshnessLagMs: number | null;
  /**
   * Why the last job failed (code, message, attempt, willRetry; `run_abandoned` when its process stopped without
   * finishing it); null once a run succeeds again. A run that gave way to another (`stream_taken`) is not one.
   */
  lastError: Record<string, unknown> | null;
  /**
   * What the latest backfill did (`jobId`, `mode`, `outcome`: merged, replaced, refused or failed, counts, `at`;
   * for a refused replace the breaker's `reason`); null before the first. Kept until the next backfill.
   */
  lastBackfill: Record<string, unknown> | null;
  /**
   * History mode: since when the model's table keeps every version (`<table>_history`; the first versions are the
   * rows as they stood then); null when it keeps none.
   */
  historySince: Date | null;
  /**
   * The period the stream is read at now (adaptive polling, `src/schedule/`): its `every`, backed off toward its
   * safety net while idle, stretched when the fleet's budget does not allow it, ms; null before its first scheduled
   * read.
   */
  effectivePeriodMs: number | null;
  /** Why that period differs from `every` (idle, webhooks not arriving, budget-limited); null when it does not. */
  pollingReason: string | null;
  /** A variant Nango no longer lists: not followed any more, its rows stay (`variantGoneSql`). */
  variantGone: boolean;
}

/** Which streams, in which order, how many. */
export interface ListStreamStatusOptions {
  /** The target schema: `rows` is null for a model without a table there (any schema when absent). */
  schema?: string;
  filter?: StreamFilter;
  /**
   * `name` (default): by integration, connection, model; `worst`: failing, lagging, never read, fresh, the most periods
   * behind first; `key`: by id, for reading every stream in batches with `afterId`.
   */
  order?: 'name' | 'worst' | 'key';
  /** At most this many streams. Default: all. */
  limit?: number;
  /** Skip this many (page views). */
  offset?: number;
  /** Only streams with an id above this one (`order: 'key'`, for reading every stream in batches). */
  afterId?: string;
}

/**
 * The streams the replicator knows, with their counts, state and latest run. Row counts are the per-stream counters
 * (src/store/stream-row-counts.ts): no model table is counted, so a page of 50 streams costs the same at 30,000.
 */
export async function listStreamStatus(db: Kysely<ReplicatorDatabase>, options: ListStreamStatusOptions): Promise<StreamStatus[]> {
  const { filter = {} } = options;
  const schema = options.schema === undefined ? sql`TRUE` : sql`t.table_schema = ${options.schema}`;
  const after = options.afterId === undefined ? sql`TRUE` : sql`s.id > ${options.afterId}::bigint`;
  const order =
    options.order === 'worst'
      ? worstFirstSql
      : options.order === 'key'
        ? sql`s.id`
        : sql`s.provider_config_key, s.connection_id, s.model, s.variant`;
  const limit = options.limit === undefined ? sql`` : sql`LIMIT ${options.limit}`;
  const offset = options.offset === undefined ? sql`` : sql`OFFSET ${options.offset}`;
  const { rows: streams } = await sql<StatusQueryRow>`
    SELECT s.id, s.provider_config_key, s.connection_id, s.model, s.variant, s.last_success_at, s.last_run_started_at, s.last_error,
      s.last_backfill, ${streamStateSql} AS state, ${periodMsSql} AS period_ms,
      EXISTS (SELECT 1 FROM nango_replicator.model_tables t WHERE t.model = s.model AND ${schema}) AS has_table,
      (SELECT t.history_since FROM nango_replicator.model_tables t WHERE t.model = s.model AND ${schema} LIMIT 1) AS history_since,
      s.live_now AS live, ${totalRowsOf('s')} AS total, ${pollingColumnsSql},
      s.nango_record_count::float8 AS nango_count, s.nango_record_count_at AS nango_count_at,
      ${countsDifferSql(sql`s.live_now`, sql`s.nango_record_count`)} AS counts_differ, ${variantGoneSql} AS variant_gone,
      r.kind AS run_kind, r.status AS run_status, r.records AS run_records,
      r.started_at AS run_started_at, r.finished_at AS run_finished_at,
      round(extract(epoch FROM now() - s.cursor_updated_at) * 1000)::float8 AS cursor_age_ms,
      round(extract(epoch FROM now() - s.newest_modified_at) * 1000)::float8 AS freshness_lag_ms,
      round(extract(epoch FROM now() - s.last_success_at) * 1000)::float8 AS since_success_ms,
      (SELECT count(*)::int FROM nango_replicator.value_errors v WHERE v.stream_id = s.id) AS value_errors
    FROM (
      -- The page's streams first, so the latest run and the counts below are looked up for them only.
      SELECT *, ${liveRowsOf('s')} AS live_now FROM nango_replicator.streams s
       WHERE ${streamFilterSql(filter)} AND ${after} ORDER BY ${order} ${limit} ${offset}
    ) s
    LEFT JOIN LATERAL (
      SELECT r.kind, r.status, r.started_at, r.finished_at, r.records FROM nango_replicator.runs r
      WHERE r.stream_id = s.id ORDER BY r.started_at DESC, r.id DESC LIMIT 1
    ) r ON TRUE
    LEFT JOIN nango_replicator.polling_integrations i ON i.provider_config_key = s.provider_config_key
    ORDER BY ${order}`.execute(db);
  return streams.map((s) => ({
    id: s.id,
    providerConfigKey: s.provider_config_key,
    connectionId: s.connection_id,
    model: s.model,
    variant: s.variant,
    state: s.state,
    periodMs: s.period_ms,
    rows: s.has_table ? s.live : null,
    deletedRows: s.has_table ? s.total - s.live : null,
    nangoRecordCount: s.nango_count,
    nangoRecordCountAt: s.nango_count_at,
    countsDiffer: s.counts_differ,
    valueErrors: s.value_errors,
    lastSuccessAt: s.last_success_at,
    sinceLastSuccessMs: s.since_success_ms,
    lastRunStartedAt: s.last_run_started_at,
    lastRun:
      s.run_kind === null || s.run_status === null || s.run_started_at === null
        ? null
        : {
            kind: s.run_kind,
            status: s.run_status,
            startedAt: s.run_started_at,
            finishedAt: s.run_finished_at,
            records: s.run_records ?? 0,
          },
    cursorAgeMs: s.cursor_age_ms,
    freshnessLagMs: s.freshness_lag_ms,
    lastError: s.last_error,
    lastBackfill: s.last_backfill,
    historySince: s.history_since,
    ...streamPolling(s),
    variantGone: s.variant_gone,
  }));
}

interface StatusQueryRow extends PollingColumns {
  id: string;
  variant_gone: boolean;
  provider_config_key: string;
  connection_id: string;
  model: string;
  variant: string;
  last_success_at: Date | null;
  last_run_started_at: Date | null;
  last_error: Record<string, unknown> | null;
  last_backfill: Record<string, unknown> | null;
  state: StreamStateName;
  period_ms: number;
  has_table: boolean;
  live: number;
  total: number;
  nango_count: number | null;
  nango_count_at: Date | null;
  counts_differ: boolean;
  run_kind: string | null;
  run_status: RunStatus | null;
  run_started_at: Date | null;
  run_finished_at: Date | null;
  run_records: number | null;
  cursor_age_ms: number | null;
  freshness_lag_ms: number | null;
  since_success_ms: number | null;
  value_errors: number;
  history_since: Date | null;
}
