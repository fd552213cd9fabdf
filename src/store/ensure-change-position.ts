import { sql, type Transaction } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** The change feed's position column: the writing transaction's id (`pg_current_xact_id()`), see docs/change-feed.md. */
export const CHANGE_POSITION_COLUMN = '_nango_txid';
/** Its index's key columns and name suffix (`<table>_txid_idx` unless taken). */
export const CHANGE_POSITION_INDEX_COLUMNS = Object.freeze([CHANGE_POSITION_COLUMN] as const);
export const CHANGE_POSITION_INDEX_SUFFIX = '_txid_idx';
/**
 * How long adding the column may wait for the table's lock. ADD COLUMN takes an ACCESS EXCLUSIVE lock for an
 * instant (a nullable column without a default is a catalog change: no rewrite), but a lock request queued behind
 * a long reader would block every other session of the table meanwhile; better fail the run and try again later.
 */
const ADD_COLUMN_LOCK_TIMEOUT_MS = 5_000;

/**
 * Gives a model table created before the change feed existed its `_nango_txid xid8` column, in the table's DDL
 * transaction: NULL for every row already there ("before the feed began"), no rewrite of the table. Its index is
 * built `CONCURRENTLY` after the transaction (`ensureTableIndex`). A table that has the column is not touched.
 */
export async function ensureChangePosition(trx: Transaction<ReplicatorDatabase>, target: { schema: string; table: string }): Promise<void> {
  const { rows } = await sql<{ present: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${target.schema} AND c.relname = ${target.table} AND a.attname = ${CHANGE_POSITION_COLUMN} AND NOT a.attisdropped
    ) AS present`.execute(trx);
  if (rows[0]?.present === true) return;
  const { rows: setting } = await sql<{ value: string }>`SELECT current_setting('lock_timeout') AS value`.execute(trx);
  await sql`SELECT set_config('lock_timeout', ${`${ADD_COLUMN_LOCK_TIMEOUT_MS}ms`}, true)`.execute(trx);
  await sql`ALTER TABLE ${sql.id(target.schema, target.table)} ADD COLUMN ${sql.id(CHANGE_POSITION_COLUMN)} xid8`.execute(trx);
  // The rest of the DDL transaction runs with the session's own setting again.
  await sql`SELECT set_config('lock_timeout', ${setting[0]?.value ?? '0'}, true)`.execute(trx);
}
