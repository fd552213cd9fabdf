import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** Rows of one stream in a model table: not deleted (`live`) and in all (`total`, soft-deleted ones included). */
export interface StreamRowCount {
  providerConfigKey: string;
  connectionId: string;
  live: number;
  total: number;
}

/**
 * Row counts per stream of one model table: one grouped count, whose cost grows with the table (a very large
 * installation may prefer to cache what shows it). `table` must come from `nango_replicator.model_tables`; it goes
 * through `sql.id`, never through string concatenation. A table dropped by hand counts as empty.
 */
export async function countStreamRows(db: Kysely<ReplicatorDatabase>, schema: string, table: string): Promise<StreamRowCount[]> {
  try {
    const { rows } = await sql<StreamRowCount>`
      SELECT _nango_provider_config_key AS "providerConfigKey", _nango_connection_id AS "connectionId",
             (count(*) FILTER (WHERE _nango_deleted_at IS NULL))::int AS live, count(*)::int AS total
      FROM ${sql.id(schema, table)} GROUP BY 1, 2
    `.execute(db);
    return rows;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return [];
    throw error;
  }
}
