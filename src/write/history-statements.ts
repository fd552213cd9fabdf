import { type RawBuilder, sql } from 'kysely';
import type { TableLayout } from '../store/table-layout.js';

/** The name a data-modifying CTE returns each changed row under (the whole row, of the model table's type). */
export const WRITTEN_ROW = '_nango_written_row';

/**
 * History mode's CTEs (placed after a CTE `source` that returns `id` and the changed rows as `_nango_written_row`):
 * the current version of each changed record is closed (`_nango_valid_to = now()`) and the new one added, valid from
 * now, with the values the row holds after the write. `deleted` says whether the new version is a deletion (an
 * expression on the row `w`); `historic` filters the rows that make a version: a row that was only pruned (Nango
 * emptied the payload, our values stay) makes none. Empty when the layout keeps no history.
 */
export function historyCtes(
  layout: TableLayout,
  stream: { providerConfigKey: string; connectionId: string; variant: string },
  options: { source: string; deleted: RawBuilder<unknown>; historic: RawBuilder<unknown> },
): RawBuilder<unknown> {
  if (layout.history === undefined) return sql``;
  const history = sql.table(`${layout.schema}.${layout.history}`);
  const source = sql.table(options.source);
  const row = (column: string) => sql`(w.${sql.id(WRITTEN_ROW)}).${sql.id(column)}`;
  const typed = [...layout.columns.map((c) => c.column), '_nango_raw'];
  return sql`,
    history_closed AS (
      UPDATE ${history} AS h SET _nango_valid_to = now()
      FROM ${source} AS w
      WHERE ${options.historic} AND h._nango_provider_config_key = ${stream.providerConfigKey}
        AND h._nango_connection_id = ${stream.connectionId} AND h._nango_variant = ${stream.variant} AND h.id = w.id
        AND h._nango_valid_to IS NULL
    ),
    history_added AS (
      INSERT INTO ${history} (_nango_provider_config_key, _nango_connection_id, _nango_variant, id,
        ${sql.join(typed.map((c) => sql.id(c)))},
        _nango_valid_from, _nango_valid_to, _nango_is_deleted, _nango_last_modified_at, _nango_txid)
      SELECT ${stream.providerConfigKey}, ${stream.connectionId}, ${stream.variant}, w.id, ${sql.join(typed.map(row))},
        now(), NULL, ${options.deleted}, ${row('_nango_last_modified_at')}, pg_current_xact_id()
      FROM ${source} AS w WHERE ${options.historic}
    )`;
}

/** A written row makes a version unless it was only pruned (deleted ones do: a deletion is a version). */
export function historicWrite(): RawBuilder<unknown> {
  const row = (column: string) => sql`(w.${sql.id(WRITTEN_ROW)}).${sql.id(column)}`;
  return sql`(${row('_nango_pruned_at')} IS NULL OR ${row('_nango_deleted_at')} IS NOT NULL)`;
}
