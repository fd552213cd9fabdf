import { type Kysely, sql } from 'kysely';
import { countStreamRows } from './count-stream-rows.js';
import { pollingColumns, streamPolling } from './stream-polling.js';
import { latestRun } from './latest-run.js';
import type { ReplicatorDatabase, RunStatus } from './replicator-tables.js';

/** One stream as `nango-replicator status` shows it. Times come from the database clock. */
export interface StreamStatus {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  /** Rows of this stream not deleted; null when its table does not exist (yet). */
  rows: number | null;
  /** Rows of this stream marked deleted (soft deletes). */
  deletedRows: number | null;
  /**
   * Value errors standing now: rows of `nango_replicator.value_errors` for this stream, one per (record, field)
   * whose stored value did not fit its column. A later version that fits, or a hard delete, takes its error away,
   * so this is a current count, not a total of errors ever seen (that is `runs.value_errors`, per run).
   */
  valueErrors: number;
  lastSuccessAt: Date | null;
  lastRunStartedAt: Date | null;
  /**
   * The latest run: its kind, status (`running`, `succeeded`, `failed`, `abandoned`: its process stopped without
   * finishing it, `superseded`: it gave way to another run of the stream) and times; null before the first.
   */
  lastRun: { kind: string; status: RunStatus; startedAt: Date; finishedAt: Date | null } | null;
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
}

/** Every stream the replicator knows, ordered by integration, connection, model, with its row counts. */
export async function listStreamStatus(db: Kysely<ReplicatorDatabase>, options: { schema: string }): Promise<StreamStatus[]> {
  const streams = await db
    .selectFrom('nango_replicator.streams as s')
    .leftJoin('nango_replicator.model_tables as t', (join) =>
      join.onRef('t.model', '=', 's.model').on('t.table_schema', '=', options.schema),
    )
    .leftJoinLateral(latestRun, (join) => join.onTrue())
    .leftJoin('nango_replicator.polling_integrations as i', 'i.provider_config_key', 's.provider_config_key')
    .select([
      's.provider_config_key',
      's.connection_id',
      's.model',
      's.last_success_at',
      's.last_run_started_at',
      's.last_error',
      's.last_backfill',
      't.table_name',
      't.history_since',
      'last_run.kind as run_kind',
      'last_run.status as run_status',
      'last_run.started_at as run_started_at',
      'last_run.finished_at as run_finished_at',
      sql<number | null>`round(extract(epoch FROM now() - s.cursor_updated_at) * 1000)::float8`.as('cursor_age_ms'),
      sql<number | null>`round(extract(epoch FROM now() - s.newest_modified_at) * 1000)::float8`.as('freshness_lag_ms'),
      sql<number>`(SELECT count(*)::int FROM nango_replicator.value_errors v WHERE v.stream_id = s.id)`.as('value_errors'),
      ...pollingColumns,
    ])
    .orderBy('s.provider_config_key')
    .orderBy('s.connection_id')
    .orderBy('s.model')
    .execute();
  const counts = new Map<string, { live: number; total: number }>();
  // One grouped count per model table, one table at a time.
  for (const table of new Set(streams.map((s) => s.table_name).filter((t): t is string => t !== null))) {
    for (const row of await countStreamRows(db, options.schema, table)) counts.set(`${table}\u0000${row.providerConfigKey}\u0000${row.connectionId}`, row);
  }
  return streams.map((s) => {
    const count = s.table_name === null ? undefined : counts.get(`${s.table_name}\u0000${s.provider_config_key}\u0000${s.connection_id}`);
    const known = s.table_name !== null;
    return {
      providerConfigKey: s.provider_config_key,
      connectionId: s.connection_id,
      model: s.model,
      rows: known ? (count?.live ?? 0) : null,
      deletedRows: known ? (count ? count.total - count.live : 0) : null,
      valueErrors: s.value_errors,
      lastSuccessAt: s.last_success_at,
      lastRunStartedAt: s.last_run_started_at,
      lastRun:
        s.run_kind === null || s.run_status === null || s.run_started_at === null
          ? null
          : { kind: s.run_kind, status: s.run_status, startedAt: s.run_started_at, finishedAt: s.run_finished_at },
      cursorAgeMs: s.cursor_age_ms,
      freshnessLagMs: s.freshness_lag_ms,
      lastError: s.last_error,
      lastBackfill: s.last_backfill,
      historySince: s.history_since,
      ...streamPolling(s),
    };
  });
}
