import { type RawBuilder, sql } from 'kysely';
import type { ColumnType } from '../schema/column-type.js';
import type { PreparedRows } from './prepare-page.js';
import { historicWrite, historyCtes, WRITTEN_ROW } from './history-statements.js';
import { replaceValueErrors, type ValueErrorParams } from './replace-value-errors.js';
import type { MappedColumn, TableLayout } from '../store/table-layout.js';

/** What one statement of a page write needs besides the layout: the stream, its records' parameters, how to write them. */
export interface PageParams extends ValueErrorParams, PreparedRows {
  /** What the rows are believed to be (see {@link PageRows}). */
  rows: PageRows;
}

/**
 * `new`: none of the page's records is stored yet (a stream's first read), so they are written with a plain
 * INSERT, which fails with unique_violation (23505) if one is stored after all; the caller then writes the page
 * again as `any`. `any`: INSERT ... ON CONFLICT DO UPDATE, newer wins. A plain INSERT costs Postgres about a
 * fifth less per row (docs/decisions/0004-first-read-plain-insert.md).
 */
export type PageRows = 'new' | 'any';

/**
 * The write of one statement's share of a page's records (up to 1000, see `ROWS_PER_STATEMENT`): an upsert, or a
 * plain INSERT for `rows: 'new'`. The payloads travel as one jsonb parameter and the metadata as typed arrays,
 * zipped by Postgres (set-returning functions in one select list advance in lockstep and stream, never spilling to
 * disk). Node does no per-row SQL work; there is one round trip per statement.
 *
 * Invariants:
 * - newer wins: a row is only overwritten by a version whose `last_modified_at` is not older (with `rows: 'new'`
 *   no row is overwritten: the statement fails instead);
 * - unchanged is skipped: a version with the stored payload, deletion and pruning is not written at all;
 * - a deleted or pruned record keeps the stored values (Nango often replaces a deleted record's payload
 *   with just `{id}`, and empties pruned ones) and only updates the `_nango_*` columns;
 * - every row written carries the writing transaction's id in `_nango_txid` (the change feed's position);
 * - a value that did not fit its column is NULL there (the JSON value is always intact in `_nango_raw`), and the
 *   record's rows in `value_errors` are those of the version written (see {@link replaceValueErrors}).
 *
 * Returns how many records were written, how many of those are now deleted, and how many value-error rows the
 * statement wrote.
 */
export function writeRowsStatement(layout: TableLayout, params: PageParams): RawBuilder<WrittenCounts> {
  const table = sql.table(`${layout.schema}.${layout.table}`);
  const typed = layout.columns.map((c) => sql.id(c.column));
  const extracted = layout.columns.map((c) =>
    params.badColumns.has(c.column) ? sql`CASE WHEN b ? ${c.column} THEN NULL ELSE ${extract(c)} END` : extract(c),
  );
  const bad = params.badColumnsJson === null ? sql`NULL::jsonb` : sql`${params.badColumnsJson}::jsonb -> (r->>'id')`;
  const m = params.metadata;
  const errors = replaceValueErrors(table, params);

  return sql<WrittenCounts>`
    WITH written AS (
      INSERT INTO ${table} AS t (
        _nango_provider_config_key, _nango_connection_id, _nango_variant, id, ${sql.join([...typed, sql`_nango_raw`])},
        _nango_last_action, _nango_first_seen_at, _nango_last_modified_at, _nango_deleted_at, _nango_pruned_at,
        _nango_cursor, _nango_synced_at, _nango_txid)
      SELECT ${params.providerConfigKey}, ${params.connectionId}, ${params.variant}, r->>'id', ${sql.join([...extracted, sql`r`])},
        action, first_seen, last_modified, deleted, pruned, cursor, now(), pg_current_xact_id()
      FROM (
        SELECT r, ${bad} AS b, action, first_seen, last_modified, deleted, pruned, cursor
        FROM (
          SELECT unnest(${m.lastAction}::text[]) AS action, unnest(${m.firstSeenAt}::timestamptz[]) AS first_seen,
            unnest(${m.lastModifiedAt}::timestamptz[]) AS last_modified, unnest(${m.deletedAt}::timestamptz[]) AS deleted,
            unnest(${m.prunedAt}::timestamptz[]) AS pruned, unnest(${m.cursor}::text[]) AS cursor,
            -- last, so the big parameter is appended to the wire buffer once, after the small ones
            jsonb_array_elements(${params.payloads}::jsonb) AS r
        ) AS zipped
      ) AS e
      ${params.rows === 'new' ? sql`` : sql`${skipStored(table, layout, params, extracted)} ${onConflictUpdate(layout)}`}
      RETURNING t.id, t._nango_deleted_at IS NOT NULL AS deleted, t._nango_deleted_at IS NULL AND t._nango_pruned_at IS NULL AS took
        ${wholeRow(layout)}
    ),
    ${errors.ctes}
    ${historyCtes(layout, params, { source: 'written', deleted: sql`w.deleted`, historic: historicWrite() })}
    SELECT count(*)::text AS upserted, count(*) FILTER (WHERE deleted)::text AS deleted, ${errors.count}::text AS value_errors
    FROM written`;
}

/**
 * Leaves out of the insert the records whose stored row, as the statement's snapshot sees it, is newer or unchanged
 * (the rule of {@link onConflictUpdate}): an ON CONFLICT that ends in no update still locks the row, which dirties its
 * page and writes WAL (a full page image after a checkpoint), so a re-read of unchanged records would cost almost
 * what an update does. A row changed by a transaction that commits after the snapshot is still caught by the
 * ON CONFLICT's own condition.
 */
function skipStored(
  table: RawBuilder<unknown>,
  layout: TableLayout,
  params: PageParams,
  extracted: ReadonlyArray<RawBuilder<unknown>>,
): RawBuilder<unknown> {
  const stored = sql.join([...layout.columns.map((c) => sql`s.${sql.id(c.column)}`), sql`s._nango_raw`]);
  const offered = sql.join([...extracted, sql`r`]);
  return sql`WHERE NOT EXISTS (
        SELECT 1 FROM ${table} AS s
        WHERE s._nango_provider_config_key = ${params.providerConfigKey} AND s._nango_connection_id = ${params.connectionId}
          AND s._nango_variant = ${params.variant} AND s.id = r->>'id'
          AND (s._nango_last_modified_at > last_modified
            OR (s._nango_deleted_at IS NOT DISTINCT FROM deleted AND s._nango_pruned_at IS NOT DISTINCT FROM pruned
              AND (deleted IS NOT NULL OR pruned IS NOT NULL OR ROW(${stored}) IS NOT DISTINCT FROM ROW(${offered}))))
      )`;
}

/**
 * Newer wins, and unchanged is skipped: a version whose payload, deletion and pruning are those of the stored row
 * writes nothing (no new row version, no WAL, nothing for a reader of the change feed), whatever its metadata
 * timestamps say. A deleted or pruned version keeps the stored values and updates only the `_nango_*` columns, so
 * its payload (`{id}`, or emptied) is not compared. The typed columns are compared with `_nango_raw`, so a value
 * changed downstream is still repaired by a re-read. jsonb equality ignores key order and number spelling.
 */
function onConflictUpdate(layout: TableLayout): RawBuilder<unknown> {
  const keep = sql`(EXCLUDED._nango_deleted_at IS NOT NULL OR EXCLUDED._nango_pruned_at IS NOT NULL)`;
  const keepOrTake = (column: string) =>
    sql`${sql.id(column)} = CASE WHEN ${keep} THEN t.${sql.id(column)} ELSE EXCLUDED.${sql.id(column)} END`;
  const updates = [...layout.columns.map((c) => keepOrTake(c.column)), keepOrTake('_nango_raw')];
  const values = [...layout.columns.map((c) => c.column), '_nango_raw'];
  const stored = sql.join(values.map((c) => sql`t.${sql.id(c)}`));
  const offered = sql.join(values.map((c) => sql`EXCLUDED.${sql.id(c)}`));
  return sql`ON CONFLICT (_nango_provider_config_key, _nango_connection_id, _nango_variant, id) DO UPDATE SET
        ${sql.join(updates)},
        _nango_last_action = EXCLUDED._nango_last_action,
        _nango_first_seen_at = EXCLUDED._nango_first_seen_at,
        _nango_last_modified_at = EXCLUDED._nango_last_modified_at,
        _nango_deleted_at = EXCLUDED._nango_deleted_at,
        _nango_pruned_at = EXCLUDED._nango_pruned_at,
        _nango_cursor = EXCLUDED._nango_cursor,
        _nango_synced_at = EXCLUDED._nango_synced_at,
        _nango_txid = EXCLUDED._nango_txid
      WHERE t._nango_last_modified_at <= EXCLUDED._nango_last_modified_at
        AND (t._nango_deleted_at IS DISTINCT FROM EXCLUDED._nango_deleted_at
          OR t._nango_pruned_at IS DISTINCT FROM EXCLUDED._nango_pruned_at
          OR (NOT ${keep} AND ROW(${stored}) IS DISTINCT FROM ROW(${offered})))`;
}

/** History mode: the changed row whole, for the history CTEs (see {@link historyCtes}). */
export function wholeRow(layout: TableLayout): RawBuilder<unknown> {
  return layout.history === undefined ? sql`` : sql`, t AS ${sql.id(WRITTEN_ROW)}`;
}

/** The counts one {@link writeRowsStatement} returns (as text: bigint counts). */
export interface WrittenCounts {
  upserted: string;
  deleted: string;
  value_errors: string;
}

/**
 * The SQL that reads a field out of payload `r` as its column type. Values were type-checked in Node, so the casts
 * cannot fail on a value that fits: numbers and booleans are cast from jsonb itself (exact for `5.0` or `1e3` as
 * Nango may have written them, with no detour through text), strings are read as text.
 */
function extract(column: MappedColumn): RawBuilder<unknown> {
  const text = sql`(r->>${column.field})`;
  const value = sql`NULLIF(r->${column.field}, 'null'::jsonb)`; // a JSON null does not cast
  const casts: Record<ColumnType, RawBuilder<unknown>> = {
    text,
    timestamptz: sql`${text}::timestamptz`,
    bigint: sql`${value}::bigint`,
    'double precision': sql`${value}::double precision`,
    boolean: sql`${value}::boolean`,
    jsonb: value,
  };
  return casts[column.type];
}

/**
 * Removes the rows of records Nango reports deleted (`deletes: hard`), unless the stored row is newer, and the
 * value-error rows of the records removed, and leaves a tombstone of each in `nango_replicator.deleted_rows` for the
 * change feed. Returns how many rows were removed.
 */
export function hardDeleteStatement(
  layout: TableLayout,
  stream: { streamId: string; providerConfigKey: string; connectionId: string; variant: string },
  json: string,
): RawBuilder<{ deleted: string }> {
  return sql<{ deleted: string }>`
    WITH gone AS (
      DELETE FROM ${sql.table(`${layout.schema}.${layout.table}`)} AS t
      USING jsonb_to_recordset(${json}::jsonb) AS d(id text, m timestamptz)
      WHERE t._nango_provider_config_key = ${stream.providerConfigKey} AND t._nango_connection_id = ${stream.connectionId}
        AND t._nango_variant = ${stream.variant} AND t.id = d.id AND t._nango_last_modified_at <= d.m
      RETURNING t.id ${wholeRow(layout)}
    ),
    cleared AS (
      DELETE FROM nango_replicator.value_errors v USING gone g WHERE v.stream_id = ${stream.streamId}::bigint AND v.record_id = g.id
    ),
    ${tombstones(layout, stream, sql`gone`)}
    ${historyCtes(layout, stream, { source: 'gone', deleted: sql`true`, historic: sql`true` })}
    SELECT count(*)::text AS deleted FROM gone`;
}

/**
 * A CTE `buried` that leaves a tombstone in `nango_replicator.deleted_rows` for every row of CTE `gone(id)` (rows of
 * the stream just removed), positioned in the change feed by the removing transaction's id.
 */
export function tombstones(
  layout: Pick<TableLayout, 'schema' | 'table'>,
  stream: { providerConfigKey: string; connectionId: string; variant: string },
  gone: RawBuilder<unknown>,
): RawBuilder<unknown> {
  return sql`buried AS (
      INSERT INTO nango_replicator.deleted_rows (table_schema, table_name, provider_config_key, connection_id, variant, record_id)
      SELECT ${layout.schema}, ${layout.table}, ${stream.providerConfigKey}, ${stream.connectionId}, ${stream.variant}, g.id FROM ${gone} g
    )`;
}
