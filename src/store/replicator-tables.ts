import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** The replicator's own schema. Its tables are created by migrations/. */
export const REPLICATOR_SCHEMA = 'nango_replicator';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface StreamsTable {
  id: Generated<string>;
  provider_config_key: string;
  connection_id: string;
  model: string;
  /** The sync variant, `base` for a sync without variants (migration 0011); part of the unique key. */
  variant: Generated<string>;
  cursor: string | null;
  cursor_updated_at: Timestamp | null;
  newest_modified_at: Timestamp | null;
  last_run_started_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_error: JSONColumnType<Record<string, unknown>> | null;
  /** What the latest backfill of the stream did (migration 0002). */
  last_backfill: JSONColumnType<Record<string, unknown>> | null;
  /** When a run first read the stream to its end; null while its first read is in progress (migration 0004). */
  read_to_end_at: Timestamp | null;
  /** Adaptive polling state (migration 0009): configured period and ceiling, backed-off period, ms. */
  poll_every_ms: ColumnType<number | null, number | null, number | null>;
  safety_net_ms: ColumnType<number | null, number | null, number | null>;
  poll_period_ms: ColumnType<number | null, number | null, number | null>;
  /** Reads in a row that found nothing. */
  empty_reads: Generated<number>;
  /** Start of the latest read that reached the end. */
  last_read_at: Timestamp | null;
  /** When a webhook last asked for the stream. */
  webhook_at: Timestamp | null;
  /** When a hint (`GET /sync/status`) last said the stream changed. */
  read_requested_at: Timestamp | null;
  /** Rows of the stream not deleted / in all, as of the last fold (migration 0010; add `stream_row_deltas`). */
  live_rows: Generated<string>;
  total_rows: Generated<string>;
  /** The stream's configured period (`every`), ms, recorded by discovery; null until discovery saw it (migration 0010). */
  period_ms: string | null;
  /**
   * Nango's count of the stream's records (`recordCount[model]` of its base item in `GET /sync/status`, which ignores
   * variants) and when Nango last reported it; null until the `detection: syncStatus` hints first read it (migration 0012).
   */
  nango_record_count: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  nango_record_count_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Generated<Timestamp>;
}

export interface ModelTablesTable {
  table_schema: string;
  model: string;
  table_name: string;
  created_at: Generated<Timestamp>;
  /** History mode: the `<table>_history` table, and when it began (its first versions are the rows then). */
  history_table: ColumnType<string | null, string | null | undefined, string | null>;
  history_since: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface TableColumnsTable {
  table_schema: string;
  table_name: string;
  field: string;
  column_name: string;
  column_type: string;
  position: number;
  added_at: Generated<Timestamp>;
}

/**
 * How a run ended, or `running`. `abandoned`: its process stopped without finishing it; `superseded`: it gave way
 * to another run of the stream that moved the cursor first (migration 0003 checks the set).
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned' | 'superseded';

export interface RunsTable {
  id: Generated<string>;
  stream_id: string;
  kind: string;
  status: RunStatus;
  started_at: Generated<Timestamp>;
  finished_at: Timestamp | null;
  pages: Generated<number>;
  records: Generated<number>;
  upserted: Generated<number>;
  deleted: Generated<number>;
  value_errors: Generated<number>;
  rejected: Generated<number>;
  nul_removed: Generated<number>;
  error: JSONColumnType<Record<string, unknown>> | null;
}

export interface ValueErrorsTable {
  stream_id: string;
  record_id: string;
  field: string;
  column_name: string;
  column_type: string;
  reason: string;
  record_cursor: string;
  seen_at: Generated<Timestamp>;
}

/** A row of the view `nango_replicator.value_errors_view` (migration 0005): a value error with its stream spelled out. */
export interface ValueErrorsView extends Omit<ValueErrorsTable, 'seen_at'> {
  provider_config_key: string;
  connection_id: string;
  model: string;
  /** Migration 0011. */
  variant: string;
  seen_at: Timestamp;
}

export interface DeadLettersTable {
  id: Generated<string>;
  stream_id: string;
  reason: string;
  payload: string;
  page_cursor: string | null;
  received_at: Generated<Timestamp>;
}

/** Per integration: whether its webhooks arrive (migration 0009). */
export interface PollingIntegrationsTable {
  provider_config_key: string;
  /** A read last found changes no webhook announced; the integration polls at `every` while this is after `webhook_at`. */
  webhooks_missing_since: Timestamp | null;
  webhook_at: Timestamp | null;
}

/** The fleet's budget and demand, one row (id 1), planned by the discovery holder (migration 0009). */
export interface FleetScheduleTable {
  id: number;
  budget_per_minute: number;
  demand_per_minute: number;
  needed_per_minute: number;
  stretch: number;
  planned_at: Timestamp;
}

/** Row-count changes not yet folded into `streams` (migration 0010; see src/store/row-count-triggers.ts). */
export interface StreamRowDeltasTable {
  stream_id: string;
  live: string;
  total: string;
}

/** A sync variant other than `base` that Nango listed or a webhook announced (migration 0013). */
export interface SyncVariantsTable {
  provider_config_key: string;
  connection_id: string;
  sync_name: string;
  variant: string;
  /** The base models Nango reported for the variant (keys of its `recordCount` / `latestResult`). */
  models: Generated<string[]>;
  first_seen_at: Generated<Timestamp>;
  last_seen_at: Generated<Timestamp>;
  /** A complete listing of its integration no longer had it: its stream is not followed, its rows stay. */
  gone_at: Timestamp | null;
}

/** Kysely's view of the database: the replicator's tables, addressed as `nango_replicator.<table>`. */
export interface ReplicatorDatabase {
  'nango_replicator.streams': StreamsTable;
  'nango_replicator.model_tables': ModelTablesTable;
  'nango_replicator.table_columns': TableColumnsTable;
  'nango_replicator.runs': RunsTable;
  'nango_replicator.value_errors': ValueErrorsTable;
  'nango_replicator.value_errors_view': ValueErrorsView;
  'nango_replicator.dead_letters': DeadLettersTable;
  'nango_replicator.polling_integrations': PollingIntegrationsTable;
  'nango_replicator.fleet_schedule': FleetScheduleTable;
  'nango_replicator.stream_row_deltas': StreamRowDeltasTable;
  'nango_replicator.sync_variants': SyncVariantsTable;
}
