import { type Kysely, sql } from 'kysely';
import { latestRun } from '../store/latest-run.js';
import type { ReplicatorDatabase, RunStatus } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import { countLiveRows, streamMapKey } from './count-live-rows.js';
import { countValueErrors } from './count-value-errors.js';
import { loadHourlyRecords, SPARKLINE_HOURS } from './load-hourly-records.js';

/** The latest run of a stream. */
export interface StatusRun {
  kind: string;
  /** `abandoned`: its process stopped without finishing it; `superseded`: it gave way to another run. */
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  /** Records read by the run (so far, while running). */
  records: number;
}

/** One line of the status page: one stream. Durations are measured on the database clock. */
export interface StatusRow {
  stream: StreamKey;
  /** Live (not deleted) rows in the model table; null when no table exists for the model yet. */
  rows: number | null;
  /**
   * Value errors standing now: rows of `nango_replicator.value_errors` for the stream, one per (record, field) whose
   * stored value did not fit its column (NULL there, intact in `_nango_raw`). A current count, as `status` shows it.
   */
  valueErrors: number;
  /** Seconds since the newest `_nango_last_modified_at` written; null before the first record. */
  freshnessLagSeconds: number | null;
  lastSuccessAt: Date | null;
  /** Seconds since the last successful run ended; null before the first. */
  secondsSinceLastSuccess: number | null;
  lastRun: StatusRun | null;
  /** The stream's last error (`code`, `message`, ...), cleared by the next successful run. */
  lastError: Record<string, unknown> | null;
  /**
   * What the stream's latest backfill did, as stored by `recordBackfillOutcome` (`at`, `mode`, `outcome`, counts,
   * a refusal's `reason` or a failure's `error`); null before its first backfill. Incremental runs leave it alone.
   */
  lastBackfill: Record<string, unknown> | null;
  /** Records read per hour, oldest first, 24 entries; the last is the latest 60 minutes. */
  recordsPerHour: number[];
}

/**
 * Every stream with its rows, value errors, freshness, latest run, last error and records per hour, ordered by
 * integration, connection and model. Reads the replicator's tables only (and counts the model tables).
 */
export async function loadStatusRows(db: Kysely<ReplicatorDatabase>): Promise<StatusRow[]> {
  const streams = await db
    .selectFrom('nango_replicator.streams as s')
    .leftJoinLateral(latestRun, (join) => join.onTrue())
    .select([
      's.id',
      's.provider_config_key',
      's.connection_id',
      's.model',
      's.last_success_at',
      's.last_error',
      's.last_backfill',
      sql<number | null>`extract(epoch FROM now() - s.newest_modified_at)::float8`.as('lag_seconds'),
      sql<number | null>`extract(epoch FROM now() - s.last_success_at)::float8`.as('since_success_seconds'),
      'last_run.kind',
      'last_run.status',
      'last_run.started_at',
      'last_run.finished_at',
      'last_run.records',
    ])
    .orderBy('s.provider_config_key')
    .orderBy('s.connection_id')
    .orderBy('s.model')
    .execute();
  const hourly = await loadHourlyRecords(db);
  const live = await countLiveRows(db);
  const valueErrors = await countValueErrors(db);

  return streams.map((s) => {
    const stream = { providerConfigKey: s.provider_config_key, connectionId: s.connection_id, model: s.model };
    return {
      stream,
      rows: live.get(streamMapKey(stream)) ?? null,
      valueErrors: valueErrors.get(s.id) ?? 0,
      freshnessLagSeconds: s.lag_seconds,
      lastSuccessAt: s.last_success_at,
      secondsSinceLastSuccess: s.since_success_seconds,
      lastRun:
        s.kind === null || s.status === null || s.started_at === null
          ? null
          : { kind: s.kind, status: s.status, startedAt: s.started_at, finishedAt: s.finished_at, records: s.records ?? 0 },
      lastError: s.last_error,
      lastBackfill: s.last_backfill,
      recordsPerHour: hourly.get(s.id) ?? new Array<number>(SPARKLINE_HOURS).fill(0),
    };
  });
}
