import { type Kysely, sql } from 'kysely';
import { ROW_COUNT_FUNCTIONS_SQL } from '../src/store/row-count-triggers.js';
import { ROW_COUNT_FUNCTIONS_0010 } from './2026-12-07-0010-stream-row-counts.js';

/**
 * Sync variants (issue 20, docs/decisions/0013-variant-in-the-key.md): a stream is (integration, connection, model,
 * variant), `base` being the variant of a sync without variants.
 * - `streams.variant`, in the unique key `streams_stream_key`; every stream that exists is `base`;
 * - `deleted_rows.variant`: a tombstone names the variant its row was in (ids repeat across variants);
 * - `changes_since` returns the variant of each change (last column, so readers that take columns by position
 *   keep working); a model table not migrated yet has only `base` rows;
 * - `value_errors_view` shows the stream's variant (last column);
 * - the row-count trigger functions count per variant: a trigger installed with the argument `variant` reads the
 *   table's `_nango_variant`; one installed without it (a table still in the layout before variants, whose rows are
 *   all `base`) counts its rows for the base stream. The model tables themselves gain `_nango_variant` and their new
 *   primary key when they are next ensured (`migrateToVariantKey`), without a long lock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE nango_replicator.streams ADD COLUMN variant text NOT NULL DEFAULT 'base'`.execute(db);
  await sql`ALTER TABLE nango_replicator.streams DROP CONSTRAINT streams_stream_key,
    ADD CONSTRAINT streams_stream_key UNIQUE (provider_config_key, connection_id, model, variant)`.execute(db);
  await sql`ALTER TABLE nango_replicator.deleted_rows ADD COLUMN variant text NOT NULL DEFAULT 'base'`.execute(db);
  await sql`CREATE OR REPLACE VIEW nango_replicator.value_errors_view AS
    SELECT s.provider_config_key, s.connection_id, s.model,
      e.record_id, e.field, e.column_name, e.column_type, e.reason, e.record_cursor, e.seen_at, e.stream_id, s.variant
    FROM nango_replicator.value_errors e
    JOIN nango_replicator.streams s ON s.id = e.stream_id`.execute(db);
  await sql`DROP FUNCTION nango_replicator.changes_since(regclass, xid8)`.execute(db);
  await sql.raw(changesSince(true)).execute(db);
  await sql`
    COMMENT ON FUNCTION nango_replicator.changes_since(regclass, xid8) IS
    'Change feed of a model table: first a row change = ''watermark'' carrying the next watermark, then every row written (upsert, soft_delete) or removed (hard_delete) by a transaction at or after watermark (NULL: everything, rows from before the feed included), in _nango_txid order. A row''s key is (provider_config_key, connection_id, variant, id). Rows may come again; apply them idempotently by key'
  `.execute(db);
  await ROW_COUNT_FUNCTIONS_SQL.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The functions as 0010 made them (they ignore the triggers' argument): they count every row for the base stream.
  await ROW_COUNT_FUNCTIONS_0010.execute(db);
  await sql`DROP FUNCTION nango_replicator.changes_since(regclass, xid8)`.execute(db);
  await sql.raw(changesSince(false)).execute(db);
  await sql`DROP VIEW nango_replicator.value_errors_view`.execute(db);
  await sql`CREATE VIEW nango_replicator.value_errors_view AS
    SELECT s.provider_config_key, s.connection_id, s.model,
      e.record_id, e.field, e.column_name, e.column_type, e.reason, e.record_cursor, e.seen_at, e.stream_id
    FROM nango_replicator.value_errors e
    JOIN nango_replicator.streams s ON s.id = e.stream_id`.execute(db);
  await sql`ALTER TABLE nango_replicator.deleted_rows DROP COLUMN variant`.execute(db);
  await sql`ALTER TABLE nango_replicator.streams DROP CONSTRAINT streams_stream_key`.execute(db);
  await sql`DELETE FROM nango_replicator.streams WHERE variant <> 'base'`.execute(db);
  await sql`ALTER TABLE nango_replicator.streams DROP COLUMN variant,
    ADD CONSTRAINT streams_stream_key UNIQUE (provider_config_key, connection_id, model)`.execute(db);
}

/** `changes_since` with the variant column (read from the row's jsonb, so a table not migrated yet reads `base`) or without. */
function changesSince(withVariant: boolean): string {
  const variantColumn = withVariant ? ', variant text' : '';
  const watermarkVariant = withVariant ? ', NULL::text' : '';
  // A model row's variant from its jsonb: a table still in the layout before variants has no column (all `base`).
  const outerVariant = withVariant ? `, COALESCE(variant, data->>'_nango_variant', 'base')` : '';
  const tombstoneVariant = withVariant ? ', d.variant' : '';
  return `
    CREATE FUNCTION nango_replicator.changes_since(model_table regclass, watermark xid8)
    RETURNS TABLE (next_watermark xid8, change text, _nango_txid xid8, provider_config_key text, connection_id text, id text,
      data jsonb${variantColumn})
    LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      table_schema text;
      table_name text;
    BEGIN
      SELECT n.nspname, c.relname INTO table_schema, table_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = model_table;
      RETURN QUERY EXECUTE format($q$
        WITH mark AS (SELECT nango_replicator.feed_watermark() AS w)
        SELECT mark.w, 'watermark'::text, NULL::xid8, NULL::text, NULL::text, NULL::text, NULL::jsonb${watermarkVariant} FROM mark
        UNION ALL
        (SELECT mark.w, change, txid, pck, conn, rid, data${outerVariant} FROM mark, (
          SELECT CASE WHEN t._nango_deleted_at IS NULL THEN 'upsert' ELSE 'soft_delete' END AS change, t._nango_txid AS txid,
            t._nango_provider_config_key AS pck, t._nango_connection_id AS conn, t.id AS rid,
            to_jsonb(t) AS data${withVariant ? `, NULL::text AS variant` : ''}
          FROM %s t WHERE $1 IS NULL OR t._nango_txid >= $1
          UNION ALL
          SELECT 'hard_delete', d._nango_txid, d.provider_config_key, d.connection_id, d.record_id, NULL::jsonb${tombstoneVariant}
          FROM nango_replicator.deleted_rows d
          WHERE d.table_schema = %L AND d.table_name = %L AND ($1 IS NULL OR d._nango_txid >= $1)
        ) c ORDER BY txid NULLS FIRST, change)
      $q$, model_table, table_schema, table_name) USING watermark;
    END
    $fn$`;
}
