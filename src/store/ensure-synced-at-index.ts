import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { derivedIdentifier } from '../schema/derived-identifier.js';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** The index for downstream incremental reads: one stream's rows in `_nango_synced_at` order. */
export const SYNCED_AT_INDEX_COLUMNS = Object.freeze(['_nango_provider_config_key', '_nango_connection_id', '_nango_synced_at'] as const);
/** Its name is `<table>` plus this, unless taken (see `derivedIdentifier`). */
export const SYNCED_AT_INDEX_SUFFIX = '_synced_at_idx';
/**
 * How long each of the build's waits may last (`lock_timeout`): for the table's lock, and for the transactions
 * already running in the database to end. Without it, one session left idle in a transaction (a psql prompt
 * after BEGIN) would hold the run at its start for as long as it stays open.
 */
const BUILD_WAIT_TIMEOUT_MS = 5_000;

/**
 * Gives a model table created before the `_nango_synced_at` index existed its index, once. A new table gets it
 * with its CREATE TABLE; this runs after the table's DDL transaction has committed, for existing tables.
 *
 * Choice: `CREATE INDEX CONCURRENTLY`, outside any transaction, rather than a plain CREATE INDEX in the DDL
 * transaction. A plain build holds a SHARE lock that blocks every write to the table (all streams of the model)
 * for as long as the build takes, minutes on a large table. CONCURRENTLY lets writes go on; this run waits for the
 * build instead, once, and the build waits for transactions already running in the database to end.
 *
 * - An index with exactly these key columns, made by anyone under any name, counts: it is found by definition.
 * - One process builds at a time: a session advisory lock is tried, and a process that does not get it goes on
 *   without the index (its writes do not need it; a later run finds it built).
 * - A build that was interrupted leaves an INVALID index behind; it is dropped and built again.
 * - A build that fails (a wait longer than {@link BUILD_WAIT_TIMEOUT_MS}, the statement cancelled) is logged and
 *   the run goes on: the index serves readers only, so replication must not stop for it. The next run tries again.
 */
export async function ensureSyncedAtIndex(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  target: { schema: string; table: string },
): Promise<void> {
  await ensureTableIndex(deps, { ...target, columns: SYNCED_AT_INDEX_COLUMNS, suffix: SYNCED_AT_INDEX_SUFFIX, what: '_nango_synced_at' });
}

/** An index {@link ensureTableIndex} gives a model table: its key columns, its name's suffix, and what it is called in logs. */
export interface TableIndex {
  schema: string;
  table: string;
  columns: ReadonlyArray<string>;
  suffix: string;
  what: string;
}

/**
 * Gives a model table created before an index existed that index, once, `CONCURRENTLY` and without failing the run
 * (see {@link ensureSyncedAtIndex} for every rule; the change feed's `_nango_txid` index is built the same way).
 */
export async function ensureTableIndex(deps: { db: Kysely<ReplicatorDatabase>; logger: Logger }, target: TableIndex): Promise<void> {
  const found = await findIndex(deps.db, target);
  if (found === 'missing-table' || found?.valid === true) return;
  await deps.db.connection().execute(async (conn) => {
    const key = `nango-replicator:index:${target.schema}.${target.table}:${target.suffix}`;
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext(${key})) AS locked`.execute(conn);
    if (rows[0]?.locked !== true) return;
    try {
      await sql`SELECT set_config('lock_timeout', ${`${BUILD_WAIT_TIMEOUT_MS}ms`}, false)`.execute(conn);
      await build(conn, deps.logger, target);
    } catch (error) {
      deps.logger.warn(
        { err: error, table: `${target.schema}.${target.table}` },
        `the ${target.what} index could not be built (a long transaction in the database?); the next run tries again`,
      );
    } finally {
      // The connection goes back to the pool: leave it as it was.
      await sql`RESET lock_timeout`.execute(conn);
      await sql`SELECT pg_advisory_unlock(hashtext(${key}))`.execute(conn);
    }
  });
}

async function build(conn: Kysely<ReplicatorDatabase>, logger: Logger, target: TableIndex) {
  const found = await findIndex(conn, target);
  if (found === 'missing-table' || found?.valid === true) return;
  if (found !== null) await sql`DROP INDEX CONCURRENTLY IF EXISTS ${sql.id(target.schema, found.name)}`.execute(conn);
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${target.schema}
  `.execute(conn);
  const name = derivedIdentifier(target.table, target.suffix, new Set(rows.map((r) => r.name)));
  const table = `${target.schema}.${target.table}`;
  logger.info(
    { table, index: name },
    `building the ${target.what} index of a table created before it existed (once, without blocking writes)`,
  );
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${sql.id(name)} ON ${sql.id(target.schema, target.table)}
    (${sql.join(target.columns.map((c) => sql.id(c)))})`.execute(conn);
  logger.info({ table, index: name }, `${target.what} index built`);
}

/** The table's index on exactly `target.columns` (no expression, no predicate), if any. */
async function findIndex(
  db: Kysely<ReplicatorDatabase>,
  target: TableIndex,
): Promise<{ name: string; valid: boolean } | null | 'missing-table'> {
  const { rows } = await sql<{ name: string | null; valid: boolean | null }>`
    SELECT ic.relname AS name, i.indisvalid AS valid
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indexprs IS NULL AND i.indpred IS NULL AND i.indkey::text = (
      -- int2vector's text is the column numbers separated by spaces (its array form starts at index 0).
      SELECT string_agg(a.attnum::text, ' ' ORDER BY k.ord)
      FROM unnest(${sql.val([...target.columns])}::text[]) WITH ORDINALITY AS k(name, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = k.name
    )
    LEFT JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE n.nspname = ${target.schema} AND c.relname = ${target.table} AND c.relkind IN ('r', 'p')
    ORDER BY i.indisvalid DESC NULLS LAST
    LIMIT 1
  `.execute(db);
  const row = rows[0];
  if (row === undefined) return 'missing-table';
  return row.name === null ? null : { name: row.name, valid: row.valid === true };
}
