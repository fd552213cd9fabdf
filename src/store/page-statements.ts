import { type RawBuilder, sql } from 'kysely';
import type { ColumnType } from '../schema/column-type.js';
import type { MappedColumn, TableLayout } from './table-layout.js';

/** What one page write needs besides the layout. */
export interface PageParams {
  providerConfigKey: string;
  connectionId: string;
  /** JSON array of records, as received (deduped, NUL-free). */
  upsertJson: string;
  /** JSON object: record index -> column names whose value did not fit. */
  badColumnsJson: string;
}

/**
 * The upsert of one page as a single statement: the page travels as one jsonb parameter and is expanded
 * by Postgres, so Node does no per-row SQL work and there is one round trip per page.
 *
 * Invariants:
 * - newer wins: a row is only overwritten by a version whose `last_modified_at` is not older;
 * - a deleted or pruned record keeps the stored values (Nango often replaces a deleted record's payload
 *   with just `{id}`, and empties pruned ones) and only updates the `_nango_*` columns;
 * - a value that did not fit its column is NULL there (the JSON value is always intact in `_nango_raw`).
 *
 * Returns one row per record written, with whether it is now deleted.
 */
export function upsertPageStatement(layout: TableLayout, params: PageParams): RawBuilder<{ deleted: boolean }> {
  const table = sql.table(`${layout.schema}.${layout.table}`);
  const typed = layout.columns.map((c) => sql.id(c.column));
  const extracted = layout.columns.map((c) => sql`CASE WHEN b ? ${c.column} THEN NULL ELSE ${extract(c)} END`);
  const keep = sql`(EXCLUDED._nango_deleted_at IS NOT NULL OR EXCLUDED._nango_pruned_at IS NOT NULL)`;
  const keepOrTake = (column: string) =>
    sql`${sql.id(column)} = CASE WHEN ${keep} THEN t.${sql.id(column)} ELSE EXCLUDED.${sql.id(column)} END`;
  const updates = [...layout.columns.map((c) => keepOrTake(c.column)), keepOrTake('_nango_raw')];

  return sql<{ deleted: boolean }>`
    INSERT INTO ${table} AS t (
      _nango_provider_config_key, _nango_connection_id, id, ${sql.join([...typed, sql`_nango_raw`])},
      _nango_last_action, _nango_first_seen_at, _nango_last_modified_at, _nango_deleted_at, _nango_pruned_at,
      _nango_cursor, _nango_synced_at)
    SELECT ${params.providerConfigKey}, ${params.connectionId}, r->>'id', ${sql.join([...extracted, sql`r - '_nango_metadata'`])},
      m->>'last_action', (m->>'first_seen_at')::timestamptz, (m->>'last_modified_at')::timestamptz,
      (m->>'deleted_at')::timestamptz, (m->>'pruned_at')::timestamptz, m->>'cursor', now()
    FROM jsonb_array_elements(${params.upsertJson}::jsonb) WITH ORDINALITY AS e(r, n)
    CROSS JOIN LATERAL (SELECT r->'_nango_metadata' AS m, ${params.badColumnsJson}::jsonb -> (n - 1)::text AS b) AS x
    ON CONFLICT (_nango_provider_config_key, _nango_connection_id, id) DO UPDATE SET
      ${sql.join(updates)},
      _nango_last_action = EXCLUDED._nango_last_action,
      _nango_first_seen_at = EXCLUDED._nango_first_seen_at,
      _nango_last_modified_at = EXCLUDED._nango_last_modified_at,
      _nango_deleted_at = EXCLUDED._nango_deleted_at,
      _nango_pruned_at = EXCLUDED._nango_pruned_at,
      _nango_cursor = EXCLUDED._nango_cursor,
      _nango_synced_at = EXCLUDED._nango_synced_at
    WHERE t._nango_last_modified_at <= EXCLUDED._nango_last_modified_at
    RETURNING (t._nango_deleted_at IS NOT NULL) AS deleted`;
}

/** The SQL that reads a field out of record `r` as its column type. Values were type-checked in Node. */
function extract(column: MappedColumn): RawBuilder<unknown> {
  const text = sql`(r->>${column.field})`;
  const casts: Record<ColumnType, RawBuilder<unknown>> = {
    text,
    timestamptz: sql`${text}::timestamptz`,
    bigint: sql`${text}::numeric::bigint`, // via numeric: jsonb may render 5 as 5.0
    'double precision': sql`${text}::double precision`,
    boolean: sql`${text}::boolean`,
    jsonb: sql`NULLIF(r->${column.field}, 'null'::jsonb)`,
  };
  return casts[column.type];
}

/** Removes the rows of records Nango reports deleted (`deletes: hard`), unless the stored row is newer. */
export function hardDeleteStatement(layout: TableLayout, stream: { providerConfigKey: string; connectionId: string }, json: string) {
  return sql`
    DELETE FROM ${sql.table(`${layout.schema}.${layout.table}`)} AS t
    USING jsonb_to_recordset(${json}::jsonb) AS d(id text, m timestamptz)
    WHERE t._nango_provider_config_key = ${stream.providerConfigKey} AND t._nango_connection_id = ${stream.connectionId}
      AND t.id = d.id AND t._nango_last_modified_at <= d.m`;
}
