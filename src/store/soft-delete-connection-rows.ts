import { sql, type Transaction } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/**
 * Soft-deletes every live row of one connection in every model table of `schema` (`_nango_deleted_at` and
 * `_nango_synced_at` set to the transaction's time and `_nango_txid` to its id, so readers of the change feed see it); rows already deleted
 * keep their time. Every variant of the connection's syncs goes: the connection is gone, and all its streams with it.
 * Returns how many rows it marked.
 */
export async function softDeleteConnectionRows(
  trx: Transaction<ReplicatorDatabase>,
  target: { schema: string; providerConfigKey: string; connectionId: string },
): Promise<number> {
  const tables = await trx
    .selectFrom('nango_replicator.model_tables')
    .select('table_name')
    .where('table_schema', '=', target.schema)
    // A table dropped by hand is skipped, not an error.
    .where(sql<string | null>`to_regclass(quote_ident(table_schema) || '.' || quote_ident(table_name))`, 'is not', null)
    .orderBy('table_name')
    .execute();
  let marked = 0;
  for (const { table_name: table } of tables) {
    // Tables made before the change feed gain `_nango_txid` on their stream's next run; until then there is none to set.
    const feed = await sql<{ present: boolean }>`
      SELECT EXISTS (SELECT 1 FROM information_schema.columns
        WHERE table_schema = ${target.schema} AND table_name = ${table} AND column_name = '_nango_txid') AS present`.execute(trx);
    const position = feed.rows[0]?.present === true ? sql`, _nango_txid = pg_current_xact_id()` : sql``;
    const result = await sql`
      UPDATE ${sql.id(target.schema, table)} SET _nango_deleted_at = now(), _nango_synced_at = now()${position}
      WHERE _nango_provider_config_key = ${target.providerConfigKey} AND _nango_connection_id = ${target.connectionId}
        AND _nango_deleted_at IS NULL`.execute(trx);
    marked += Number(result.numAffectedRows ?? 0n);
  }
  return marked;
}
