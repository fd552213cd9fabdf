import { type Kysely, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { BASE_VARIANT } from '../stream/stream-key.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { derivedIdentifier } from '../schema/derived-identifier.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import { installRowCountTriggers } from './row-count-triggers.js';

/** A model table's variant column: the sync variant a row belongs to, `base` for a sync without variants. */
export const VARIANT_COLUMN = '_nango_variant';
/** A model table's primary key since variants: ids repeat across variants of a model (REFERENCE 10.2). */
export const VARIANT_KEY_COLUMNS = Object.freeze(['_nango_provider_config_key', '_nango_connection_id', VARIANT_COLUMN, 'id'] as const);
/** The unique index built for the new key is `<table>` plus this (unless taken) until it becomes the primary key. */
const VARIANT_KEY_INDEX_SUFFIX = '_variant_key';
/** How long adding the column, and swapping the primary key, may wait for the table's lock. */
const SWAP_LOCK_TIMEOUT_MS = 1_000;
/** Tries at the swap before the run fails (the next run tries again; writes work meanwhile through the unique index). */
const SWAP_ATTEMPTS = 5;
/** How often a process waits for another one migrating the same table to finish, ms. */
const PEER_POLL_MS = 200;

type Trx = Transaction<ReplicatorDatabase>;

/**
 * In a model table's DDL transaction: gives a table created before variants its `_nango_variant` column (a constant
 * default: a catalog change in Postgres 11+, no rewrite, an instant ACCESS EXCLUSIVE lock under a `lock_timeout`),
 * its history table the same column, and its row-count triggers the per-variant form (see row-count-triggers.ts),
 * in the same transaction so no write is counted under the wrong stream. Returns whether the column was added.
 */
export async function ensureVariantColumn(trx: Trx, logger: Logger, target: { schema: string; table: string }): Promise<boolean> {
  if (await hasColumn(trx, target.schema, target.table)) {
    // Triggers of the layout before variants on a table with the column (a migration taken down and up again).
    if (await countsBaseOnly(trx, target.schema, target.table)) await installRowCountTriggers(trx, target.schema, target.table);
    return false;
  }
  const known = await trx
    .selectFrom('nango_replicator.model_tables')
    .select('history_table')
    .where('table_schema', '=', target.schema)
    .where('table_name', '=', target.table)
    .executeTakeFirst();
  const history = known?.history_table ?? null;
  const { rows: setting } = await sql<{ value: string }>`SELECT current_setting('lock_timeout') AS value`.execute(trx);
  await sql`SELECT set_config('lock_timeout', ${`${SWAP_LOCK_TIMEOUT_MS * 5}ms`}, true)`.execute(trx);
  await addColumn(trx, target.schema, target.table);
  if (history !== null && !(await hasColumn(trx, target.schema, history))) await addColumn(trx, target.schema, history);
  await installRowCountTriggers(trx, target.schema, target.table);
  await sql`SELECT set_config('lock_timeout', ${setting[0]?.value ?? '0'}, true)`.execute(trx);
  logger.info({ table: `${target.schema}.${target.table}` }, `variant column ${VARIANT_COLUMN} added (every existing row is base)`);
  return true;
}

/**
 * Moves a model table created before variants to the primary key (integration, connection, variant, id), in place,
 * without losing a row and without a long exclusive lock:
 * 1. `CREATE UNIQUE INDEX CONCURRENTLY` on the new key (writes go on; an INVALID index a crash left is dropped and
 *    built again);
 * 2. one short transaction under a `lock_timeout`, tried {@link SWAP_ATTEMPTS} times: `DROP CONSTRAINT <old pkey>,
 *    ADD CONSTRAINT <old pkey's name> PRIMARY KEY USING INDEX <new index>` (catalog only: the columns are NOT NULL).
 * Processes migrating the same table take turns on a session advisory lock (tried, then polled: a blocking wait
 * would hold a snapshot the other's concurrent build waits for); the one that comes second finds the work done.
 * Returns at once for a table already on the new key.
 */
export async function migrateToVariantKey(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger; signal?: AbortSignal },
  target: { schema: string; table: string },
): Promise<void> {
  if ((await primaryKey(deps.db, target))?.onVariantKey !== false) return;
  const key = `nango-replicator:variant-key:${target.schema}.${target.table}`;
  await deps.db.connection().execute(async (conn) => {
    for (;;) {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext(${key})) AS locked`.execute(conn);
      if (rows[0]?.locked === true) break;
      await abortableSleep(PEER_POLL_MS, deps.signal);
    }
    try {
      const pkey = await primaryKey(conn, target);
      if (pkey === null || pkey.onVariantKey) return;
      const index = await ensureKeyIndex(conn, deps.logger, target);
      await swapPrimaryKey(conn, deps, { ...target, pkey: pkey.name, index });
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${key}))`.execute(conn);
    }
  });
}

async function hasColumn(db: Kysely<ReplicatorDatabase>, schema: string, table: string): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schema} AND c.relname = ${table} AND a.attname = ${VARIANT_COLUMN} AND NOT a.attisdropped
    ) AS present`.execute(db);
  return rows[0]?.present === true;
}

/** Whether a row-count trigger of the table is installed without the argument that makes it count per variant. */
async function countsBaseOnly(trx: Trx, schema: string, table: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schema} AND c.relname = ${table} AND t.tgname LIKE 'nango\_replicator\_rows\_%' AND t.tgnargs = 0
    ) AS found`.execute(trx);
  return rows[0]?.found === true;
}

async function addColumn(trx: Trx, schema: string, table: string) {
  await sql`ALTER TABLE ${sql.id(schema, table)}
    ADD COLUMN ${sql.id(VARIANT_COLUMN)} text NOT NULL DEFAULT ${sql.lit(BASE_VARIANT)}`.execute(trx);
}

/** The table's primary key and whether it is the variant key; null when the table has none (or is gone). */
async function primaryKey(
  db: Kysely<ReplicatorDatabase>,
  target: { schema: string; table: string },
): Promise<{ name: string; onVariantKey: boolean } | null> {
  const { rows } = await sql<{ name: string; columns: string[] }>`
    SELECT con.conname AS name,
      array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${target.schema} AND c.relname = ${target.table} AND con.contype = 'p'`.execute(db);
  const row = rows[0];
  if (row === undefined) return null;
  return { name: row.name, onVariantKey: row.columns.join(',') === VARIANT_KEY_COLUMNS.join(',') };
}

/** The valid unique index on the variant key, built `CONCURRENTLY` when missing (an INVALID one is rebuilt). */
async function ensureKeyIndex(
  conn: Kysely<ReplicatorDatabase>,
  logger: Logger,
  target: { schema: string; table: string },
): Promise<string> {
  const table = `${target.schema}.${target.table}`;
  const found = await findKeyIndex(conn, target);
  if (found?.valid === true) return found.name;
  if (found !== null) {
    logger.info({ table, index: found.name }, 'dropping the invalid variant-key index an interrupted build left');
    await sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(target.schema, found.name)}`.execute(conn);
  }
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${target.schema}
  `.execute(conn);
  const name = derivedIdentifier(target.table, VARIANT_KEY_INDEX_SUFFIX, new Set(rows.map((r) => r.name)));
  logger.info({ table, index: name }, 'building the unique index of the variant key (once, without blocking writes)');
  await sql`CREATE UNIQUE INDEX CONCURRENTLY ${sql.id(name)} ON ${sql.id(target.schema, target.table)}
    (${sql.join(VARIANT_KEY_COLUMNS.map((c) => sql.id(c)))})`.execute(conn);
  logger.info({ table, index: name }, 'variant-key index built');
  return name;
}

async function findKeyIndex(
  db: Kysely<ReplicatorDatabase>,
  target: { schema: string; table: string },
): Promise<{ name: string; valid: boolean } | null> {
  const { rows } = await sql<{ name: string; valid: boolean }>`
    SELECT ic.relname AS name, i.indisvalid AS valid
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_index i ON i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary AND i.indexprs IS NULL AND i.indpred IS NULL
    JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE n.nspname = ${target.schema} AND c.relname = ${target.table} AND i.indkey::text = (
      SELECT string_agg(a.attnum::text, ' ' ORDER BY k.ord)
      FROM unnest(${sql.val([...VARIANT_KEY_COLUMNS])}::text[]) WITH ORDINALITY AS k(name, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = k.name)
    ORDER BY i.indisvalid DESC
    LIMIT 1`.execute(db);
  return rows[0] ?? null;
}

/** Drops the old primary key and promotes the index in one short transaction, retried on `lock_timeout` (55P03). */
async function swapPrimaryKey(
  conn: Kysely<ReplicatorDatabase>,
  deps: { logger: Logger; signal?: AbortSignal },
  target: { schema: string; table: string; pkey: string; index: string },
) {
  const table = `${target.schema}.${target.table}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await conn.transaction().execute(async (trx) => {
        await sql`SELECT set_config('lock_timeout', ${`${SWAP_LOCK_TIMEOUT_MS}ms`}, true)`.execute(trx);
        await sql`ALTER TABLE ${sql.id(target.schema, target.table)} DROP CONSTRAINT ${sql.id(target.pkey)},
          ADD CONSTRAINT ${sql.id(target.pkey)} PRIMARY KEY USING INDEX ${sql.id(target.index)}`.execute(trx);
      });
      deps.logger.info({ table, primaryKey: target.pkey }, 'primary key moved to (integration, connection, variant, id)');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== '55P03' || attempt >= SWAP_ATTEMPTS) throw error;
      deps.logger.info({ table, attempt }, 'the table was busy; trying the primary key swap again');
      await abortableSleep(PEER_POLL_MS * attempt, deps.signal);
    }
  }
}
