import { type RawBuilder, sql } from 'kysely';

/**
 * Keeps `streams.live_rows` / `total_rows` without counting the model tables: three statement-level triggers per
 * model table (insert, update, delete) read the statement's transition tables and append one row per stream whose
 * counts changed to `nango_replicator.stream_row_deltas` (insert-only, so concurrent page transactions of a stream
 * never wait on each other there). The page transaction folds its stream's deltas into the stream row
 * (`foldRowCounts`); readers add the deltas not folded yet, so a count is exact whoever wrote the rows (pages,
 * hard deletes, a replace backfill's unseen-row deletes, an operator's UPDATE).
 *
 * "Live" is `_nango_deleted_at IS NULL`; "total" includes soft-deleted rows.
 *
 * A stream is (integration, connection, model, variant). A trigger installed with the argument `variant` (every
 * table since migration 0011, see {@link installRowCountTriggers}) reads the row's `_nango_variant`; one installed
 * without it (a table still in the layout before variants, until it is ensured) counts its rows, all `base`, for
 * the base stream. PL/pgSQL plans a statement when it first runs it, so the branch a table does not take never
 * names a column that table lacks.
 */
export const ROW_COUNT_FUNCTIONS_SQL = sql`
CREATE OR REPLACE FUNCTION nango_replicator.count_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_NARGS > 0 THEN
    INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
    SELECT s.id, count(*) FILTER (WHERE n._nango_deleted_at IS NULL), count(*)
    FROM new_rows n
    JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
    JOIN nango_replicator.streams s
      ON s.provider_config_key = n._nango_provider_config_key AND s.connection_id = n._nango_connection_id
      AND s.model = m.model AND s.variant = n._nango_variant
    GROUP BY s.id;
  ELSE
    INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
    SELECT s.id, count(*) FILTER (WHERE n._nango_deleted_at IS NULL), count(*)
    FROM new_rows n
    JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
    JOIN nango_replicator.streams s
      ON s.provider_config_key = n._nango_provider_config_key AND s.connection_id = n._nango_connection_id
      AND s.model = m.model AND s.variant = 'base'
    GROUP BY s.id;
  END IF;
  RETURN NULL;
END $fn$;

CREATE OR REPLACE FUNCTION nango_replicator.count_rows_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_NARGS > 0 THEN
    INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
    SELECT s.id, sum(c.live), 0
    FROM (
      SELECT _nango_provider_config_key AS pck, _nango_connection_id AS conn, _nango_variant AS variant, 1 AS live
      FROM new_rows WHERE _nango_deleted_at IS NULL
      UNION ALL
      SELECT _nango_provider_config_key, _nango_connection_id, _nango_variant, -1 FROM old_rows WHERE _nango_deleted_at IS NULL
    ) c
    JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
    JOIN nango_replicator.streams s
      ON s.provider_config_key = c.pck AND s.connection_id = c.conn AND s.model = m.model AND s.variant = c.variant
    GROUP BY s.id
    HAVING sum(c.live) <> 0;
  ELSE
    INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
    SELECT s.id, sum(c.live), 0
    FROM (
      SELECT _nango_provider_config_key AS pck, _nango_connection_id AS conn, 1 AS live FROM new_rows WHERE _nango_deleted_at IS NULL
      UNION ALL
      SELECT _nango_provider_config_key, _nango_connection_id, -1 FROM old_rows WHERE _nango_deleted_at IS NULL
    ) c
    JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
    JOIN nango_replicator.streams s
      ON s.provider_config_key = c.pck AND s.connection_id = c.conn AND s.model = m.model AND s.variant = 'base'
    GROUP BY s.id
    HAVING sum(c.live) <> 0;
  END IF;
  RETURN NULL;
END $fn$;

CREATE OR REPLACE FUNCTION nango_replicator.count_rows_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_NARGS > 0 THEN
    INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
    SELECT s.id, -count(*) FILTER (WHERE o._nango_deleted_at IS NULL), -count(*)
    FROM old_rows o
    JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
    JOIN nango_replicator.streams s
      ON s.provider_config_key = o._nango_provider_config_key AND s.connection_id = o._nango_connection_id
      AND s.model = m.model AND s.variant = o._nango_variant
    GROUP BY s.id;
  ELSE
    INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
    SELECT s.id, -count(*) FILTER (WHERE o._nango_deleted_at IS NULL), -count(*)
    FROM old_rows o
    JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
    JOIN nango_replicator.streams s
      ON s.provider_config_key = o._nango_provider_config_key AND s.connection_id = o._nango_connection_id
      AND s.model = m.model AND s.variant = 'base'
    GROUP BY s.id;
  END IF;
  RETURN NULL;
END $fn$;
`;

/**
 * Installs the three row-count triggers on a model table (idempotent), counting per variant: the table must have
 * `_nango_variant`. `schema`/`table` go through `sql.id`.
 */
export async function installRowCountTriggers(
  db: Parameters<RawBuilder<unknown>['execute']>[0],
  schema: string,
  table: string,
): Promise<void> {
  const t = sql.table(`${schema}.${table}`);
  const triggers = [
    ['nango_replicator_rows_inserted', 'INSERT', 'NEW TABLE AS new_rows', 'count_rows_inserted'],
    ['nango_replicator_rows_updated', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'count_rows_updated'],
    ['nango_replicator_rows_deleted', 'DELETE', 'OLD TABLE AS old_rows', 'count_rows_deleted'],
  ] as const;
  for (const [name, event, referencing, fn] of triggers) {
    await sql`DROP TRIGGER IF EXISTS ${sql.id(name)} ON ${t}`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(name)} AFTER ${sql.raw(event)} ON ${t} REFERENCING ${sql.raw(referencing)}
      FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id('nango_replicator', fn)}('variant')`.execute(db);
  }
}
