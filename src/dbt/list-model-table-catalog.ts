import { type Kysely, sql } from 'kysely';
import { CONNECTIONS_TABLE } from '../store/ensure-connections-table.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/** One column of a model table as the Postgres catalog describes it. */
export interface CatalogColumn {
  name: string;
  /** `format_type` of the column, e.g. `text`, `timestamp with time zone`, `jsonb`. */
  type: string;
  /** Its `COMMENT`, or null. */
  comment: string | null;
}

/** A model table the replicator created, with its columns in table order. */
export interface CatalogTable {
  schema: string;
  table: string;
  /** The Nango model it holds; null for the connections table (`_nango_connections`). */
  model: string | null;
  comment: string | null;
  columns: CatalogColumn[];
  /** The integrations whose streams of this model the replicator knows (`nango_replicator.streams`). */
  integrations: string[];
  /** Those streams, as (integration, connection) pairs. */
  streams: Array<{ providerConfigKey: string; connectionId: string }>;
}

/**
 * Every model table the replicator created (`nango_replicator.model_tables`) that still exists, and the connections
 * table of each of their schemas if discovery made one, with the types and comments the catalog holds: the catalog is
 * the source of truth, so a table altered by hand is described as it is. Ordered by schema and table.
 */
export async function listModelTableCatalog(db: Kysely<ReplicatorDatabase>): Promise<CatalogTable[]> {
  const { rows } = await sql<{
    schema: string;
    table: string;
    model: string | null;
    table_comment: string | null;
    column: string;
    type: string;
    column_comment: string | null;
  }>`
    SELECT m.table_schema AS schema, m.table_name AS table, m.model,
           obj_description(c.oid, 'pg_class') AS table_comment,
           a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           col_description(c.oid, a.attnum) AS column_comment
    FROM (
      SELECT table_schema, table_name, model FROM nango_replicator.model_tables
      UNION ALL
      SELECT DISTINCT table_schema, ${CONNECTIONS_TABLE}::text, NULL::text FROM nango_replicator.model_tables
    ) m
    JOIN pg_namespace n ON n.nspname = m.table_schema
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = m.table_name AND c.relkind IN ('r', 'p')
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY m.table_schema, m.table_name COLLATE "C", a.attnum
  `.execute(db);
  // The variants of a model share its table: one entry per connection, whatever its variants.
  const streams = await db
    .selectFrom('nango_replicator.streams')
    .select(['provider_config_key', 'connection_id', 'model'])
    .distinct()
    .orderBy('provider_config_key')
    .orderBy('connection_id')
    .execute();
  const tables = new Map<string, CatalogTable>();
  for (const row of rows) {
    const key = `${row.schema}.${row.table}`;
    let table = tables.get(key);
    if (table === undefined) {
      const own = streams
        .filter((s) => row.model !== null && s.model === row.model)
        .map((s) => ({ providerConfigKey: s.provider_config_key, connectionId: s.connection_id }));
      const integrations = [...new Set(own.map((s) => s.providerConfigKey))];
      const { schema, model } = row;
      table = { schema, table: row.table, model, comment: row.table_comment, columns: [], integrations, streams: own };
      tables.set(key, table);
    }
    table.columns.push({ name: row.column, type: row.type, comment: row.column_comment });
  }
  return [...tables.values()];
}
