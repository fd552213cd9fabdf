import type { Kysely } from 'kysely';
import { listStreamStatus } from '../store/list-stream-status.js';
import type { ReplicatorDatabase, RunStatus } from '../store/replicator-tables.js';
import type { StreamFilter, StreamStateName } from '../store/stream-filter.js';
import type { StreamKey } from '../stream/stream-key.js';
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
  /** `failing`, `lagging` (no success for two of its own periods), `never` (read) or `fresh`. */
  state: StreamStateName;
  /** The period the stream is judged against, ms (its `every`; 1 h when discovery has not recorded one). */
  periodMs: number;
  /** Live (not deleted) rows, from the stream's counter; null when no table exists for the model yet. */
  rows: number | null;
  /** Nango's own record count of the stream (`GET /sync/status`, ignoring variants); null when never read. */
  nangoRecordCount: number | null;
  /** `rows` and Nango's count differ by more than 1% of the larger (a hint). */
  countsDiffer: boolean;
  /** A variant Nango no longer lists: not followed any more, its rows stay. */
  variantGone?: boolean;
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

export interface LoadStatusRowsOptions {
  filter?: StreamFilter;
  /** `worst` (the page): failing, lagging, never read, fresh, most periods behind first; default by name. */
  order?: 'name' | 'worst';
  limit?: number;
  offset?: number;
}

/**
 * The streams of one page of the status page with their rows, value errors, freshness, latest run, last error and
 * records per hour. Filtering, ordering and paging happen in SQL; rows come from the per-stream counters and the
 * sparklines are read for the streams of the page only, so a page costs the same at 30,000 streams as at 30.
 */
export async function loadStatusRows(db: Kysely<ReplicatorDatabase>, options: LoadStatusRowsOptions = {}): Promise<StatusRow[]> {
  const streams = await listStreamStatus(db, {
    filter: options.filter,
    order: options.order ?? 'name',
    limit: options.limit,
    offset: options.offset,
  });
  const hourly = await loadHourlyRecords(
    db,
    streams.map((s) => s.id),
  );
  return streams.map((s) => ({
    stream: { providerConfigKey: s.providerConfigKey, connectionId: s.connectionId, model: s.model, variant: s.variant },
    state: s.state,
    periodMs: s.periodMs,
    rows: s.rows,
    nangoRecordCount: s.nangoRecordCount,
    countsDiffer: s.countsDiffer,
    variantGone: s.variantGone,
    valueErrors: s.valueErrors,
    freshnessLagSeconds: s.freshnessLagMs === null ? null : s.freshnessLagMs / 1000,
    lastSuccessAt: s.lastSuccessAt,
    secondsSinceLastSuccess: s.sinceLastSuccessMs === null ? null : s.sinceLastSuccessMs / 1000,
    lastRun: s.lastRun,
    lastError: s.lastError,
    lastBackfill: s.lastBackfill,
    recordsPerHour: hourly.get(s.id) ?? new Array<number>(SPARKLINE_HOURS).fill(0),
  }));
}
