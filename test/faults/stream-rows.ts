import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';

/** One stream as the suite names it. */
export interface FaultStream {
  providerConfigKey: string;
  connectionId: string;
  model: string;
}

/** A stored row as the checks need it. */
export interface StoredRow {
  id: string;
  cursor: string;
  deleted: boolean;
  raw?: unknown;
}

/** The model table of `model` in schema `nango`, or null when none was created yet. */
export async function modelTable(db: Kysely<ReplicatorDatabase>, model: string): Promise<string | null> {
  const found = await db
    .selectFrom('nango_replicator.model_tables')
    .select('table_name')
    .where('table_schema', '=', 'nango')
    .where('model', '=', model)
    .executeTakeFirst();
  return found?.table_name ?? null;
}

/** Every row of one stream, by id. */
export async function streamRows(
  db: Kysely<ReplicatorDatabase>,
  table: string,
  stream: FaultStream,
  withRaw: boolean,
): Promise<Map<string, StoredRow>> {
  const raw = withRaw ? sql`, _nango_raw AS raw` : sql``;
  const { rows } = await sql<{ id: string; cursor: string; deleted: boolean; raw?: unknown }>`
    SELECT id, _nango_cursor AS cursor, _nango_deleted_at IS NOT NULL AS deleted ${raw}
    FROM ${sql.table(`nango.${table}`)}
    WHERE _nango_provider_config_key = ${stream.providerConfigKey} AND _nango_connection_id = ${stream.connectionId}`.execute(db);
  return new Map(rows.map((row) => [row.id, row]));
}
