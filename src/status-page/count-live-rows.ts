import type { Kysely } from 'kysely';
import { countStreamRows } from '../store/count-stream-rows.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';

/** Key of a stream in the map returned by {@link countLiveRows}. */
export function streamMapKey(stream: StreamKey): string {
  return JSON.stringify([stream.providerConfigKey, stream.connectionId, stream.model]);
}

/**
 * Live rows (not deleted) per stream, counted in every model table the replicator created (listed in
 * `nango_replicator.model_tables`), one grouped count per table (see {@link countStreamRows}, which counts a
 * table dropped by hand as empty).
 */
export async function countLiveRows(db: Kysely<ReplicatorDatabase>): Promise<Map<string, number>> {
  const tables = await db
    .selectFrom('nango_replicator.model_tables')
    .select(['table_schema', 'model', 'table_name'])
    .orderBy('table_schema')
    .orderBy('table_name')
    .execute();
  const counts = new Map<string, number>();
  // One table at a time: a page view must not take every connection of the pool.
  for (const table of tables) {
    for (const row of await countStreamRows(db, table.table_schema, table.table_name)) {
      const key = streamMapKey({ providerConfigKey: row.providerConfigKey, connectionId: row.connectionId, model: table.model });
      counts.set(key, (counts.get(key) ?? 0) + row.live);
    }
  }
  return counts;
}
