import { type Kysely, sql } from 'kysely';

/**
 * The change feed (docs/change-feed.md):
 * - every model table carries `_nango_txid xid8`, the id of the transaction that last wrote the row (added to a
 *   table by `ensureModelTable`: NULL for rows written before the feed began);
 * - `nango_replicator.deleted_rows`: a tombstone for every row removed (`deletes: hard`, the end of a replace
 *   backfill), positioned by the removing transaction's id;
 * - `nango_replicator.feed_watermark()`: the position below which every transaction has ended, taken with a read;
 * - `nango_replicator.changes_since(table, watermark)`: the rows written and removed at or after a watermark,
 *   and the new watermark, from one snapshot.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE nango_replicator.deleted_rows (
      id bigserial PRIMARY KEY,
      table_schema text NOT NULL,
      table_name text NOT NULL,
      provider_config_key text NOT NULL,
      connection_id text NOT NULL,
      record_id text NOT NULL,
      _nango_txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      deleted_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX deleted_rows_feed_idx ON nango_replicator.deleted_rows (table_schema, table_name, _nango_txid)`.execute(db);
  await sql`
    COMMENT ON TABLE nango_replicator.deleted_rows IS
    'Tombstones of model-table rows removed (deletes: hard, replace backfills), in the change feed by _nango_txid'
  `.execute(db);

  await sql`
    CREATE FUNCTION nango_replicator.feed_watermark() RETURNS xid8
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN pg_snapshot_xmin(pg_current_snapshot())`.execute(db);
  await sql`
    COMMENT ON FUNCTION nango_replicator.feed_watermark() IS
    'The change-feed watermark of the calling statement''s snapshot: every transaction below it has ended. Keep it with a read; next time read _nango_txid >= it'
  `.execute(db);

  // STABLE: the watermark and the rows come from the snapshot of the calling statement.
  await sql
    .raw(
      `
    CREATE FUNCTION nango_replicator.changes_since(model_table regclass, watermark xid8)
    RETURNS TABLE (next_watermark xid8, change text, _nango_txid xid8, provider_config_key text, connection_id text, id text, data jsonb)
    LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      table_schema text;
      table_name text;
    BEGIN
      SELECT n.nspname, c.relname INTO table_schema, table_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = model_table;
      RETURN QUERY EXECUTE format($q$
        WITH mark AS (SELECT nango_replicator.feed_watermark() AS w)
        SELECT mark.w, 'watermark'::text, NULL::xid8, NULL::text, NULL::text, NULL::text, NULL::jsonb FROM mark
        UNION ALL
        (SELECT mark.w, change, txid, pck, conn, rid, data FROM mark, (
          SELECT CASE WHEN t._nango_deleted_at IS NULL THEN 'upsert' ELSE 'soft_delete' END AS change, t._nango_txid AS txid,
            t._nango_provider_config_key AS pck, t._nango_connection_id AS conn, t.id AS rid, to_jsonb(t) AS data
          FROM %s t WHERE $1 IS NULL OR t._nango_txid >= $1
          UNION ALL
          SELECT 'hard_delete', d._nango_txid, d.provider_config_key, d.connection_id, d.record_id, NULL::jsonb
          FROM nango_replicator.deleted_rows d
          WHERE d.table_schema = %L AND d.table_name = %L AND ($1 IS NULL OR d._nango_txid >= $1)
        ) c ORDER BY txid NULLS FIRST, change)
      $q$, model_table, table_schema, table_name) USING watermark;
    END
    $fn$`,
    )
    .execute(db);
  await sql`
    COMMENT ON FUNCTION nango_replicator.changes_since(regclass, xid8) IS
    'Change feed of a model table: first a row change = ''watermark'' carrying the next watermark, then every row written (upsert, soft_delete) or removed (hard_delete) by a transaction at or after watermark (NULL: everything, rows from before the feed included), in _nango_txid order. Rows may come again; apply them idempotently by key'
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS nango_replicator.changes_since(regclass, xid8)`.execute(db);
  await sql`DROP FUNCTION IF EXISTS nango_replicator.feed_watermark()`.execute(db);
  await sql`DROP TABLE IF EXISTS nango_replicator.deleted_rows`.execute(db);
}
