import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { derivedIdentifier } from '../schema/derived-identifier.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { MappedColumn } from './table-layout.js';

type Trx = Transaction<ReplicatorDatabase>;

/** The history table's name is the model table's plus this, unless taken (see `derivedIdentifier`). */
export const HISTORY_SUFFIX = '_history';
/** The key index of a history table: one row's versions in order (a table from before variants gets it built later). */
export const HISTORY_KEY_INDEX_COLUMNS = Object.freeze([
  '_nango_provider_config_key',
  '_nango_connection_id',
  '_nango_variant',
  'id',
  '_nango_valid_from',
] as const);
export const HISTORY_KEY_INDEX_SUFFIX = '_key_idx';
/** The point-in-time function is the model table's name plus this: `nango.ticket_as_of('2026-10-01')`. */
export const AS_OF_SUFFIX = '_as_of';

/**
 * History mode for a model table, in its DDL transaction. Returns the history table's name, or undefined when history
 * is off for it.
 *
 * - A table with history keeps it (whatever `wanted` says: a run without the setting must not leave a gap), and a
 *   typed column added to the model table is added to its history too.
 * - `wanted` on a table without history creates `<table>_history` and starts it from the current rows: one version
 *   each, valid from now (`model_tables.history_since`, shown by `status`). Versions before that are unknown.
 *   With it comes `<table>_as_of(at timestamptz)`, the table as it was at `at`.
 */
export async function ensureHistoryTable(
  trx: Trx,
  logger: Logger,
  target: { schema: string; table: string; columns: ReadonlyArray<MappedColumn>; added: ReadonlyArray<MappedColumn>; wanted: boolean },
): Promise<string | undefined> {
  const known = await trx
    .selectFrom('nango_replicator.model_tables')
    .select(['history_table'])
    .where('table_schema', '=', target.schema)
    .where('table_name', '=', target.table)
    .executeTakeFirst();
  const existing = known?.history_table ?? null;
  if (existing !== null) {
    for (const column of target.added) {
      await trx.schema.withSchema(target.schema).alterTable(existing).addColumn(column.column, column.type).execute();
    }
    return existing;
  }
  if (!target.wanted) return undefined;
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${target.schema}
  `.execute(trx);
  const taken = new Set(rows.map((r) => r.name));
  const name = derivedIdentifier(target.table, HISTORY_SUFFIX, taken);
  taken.add(name);
  const index = derivedIdentifier(name, HISTORY_KEY_INDEX_SUFFIX, taken);
  taken.add(index);
  const asOf = derivedIdentifier(target.table, AS_OF_SUFFIX, taken);
  const history = sql.id(target.schema, name);
  const typed = target.columns.map((c) => sql`${sql.id(c.column)} ${sql.raw(c.type)}`);
  await sql`CREATE TABLE ${history} (
      _nango_history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      _nango_provider_config_key text NOT NULL,
      _nango_connection_id text NOT NULL,
      _nango_variant text NOT NULL DEFAULT 'base',
      id text NOT NULL,
      ${sql.join([...typed, sql`_nango_raw jsonb NOT NULL`])},
      _nango_valid_from timestamptz NOT NULL,
      _nango_valid_to timestamptz,
      _nango_is_deleted boolean NOT NULL,
      _nango_last_modified_at timestamptz NOT NULL,
      _nango_txid xid8 NOT NULL
    )`.execute(trx);
  await sql`CREATE INDEX ${sql.id(index)} ON ${history} (${sql.join(HISTORY_KEY_INDEX_COLUMNS.map((c) => sql.id(c)))})`.execute(trx);
  const columns = [...target.columns.map((c) => c.column), '_nango_raw'].map((c) => sql.id(c));
  const seeded = await sql`
    INSERT INTO ${history} (_nango_provider_config_key, _nango_connection_id, _nango_variant, id, ${sql.join(columns)},
      _nango_valid_from, _nango_valid_to, _nango_is_deleted, _nango_last_modified_at, _nango_txid)
    SELECT _nango_provider_config_key, _nango_connection_id, _nango_variant, id, ${sql.join(columns)},
      now(), NULL, _nango_deleted_at IS NOT NULL, _nango_last_modified_at, pg_current_xact_id()
    FROM ${sql.id(target.schema, target.table)}`.execute(trx);
  // Point in time: the versions valid at `at` (deleted ones flagged, as the table keeps soft-deleted rows).
  await sql`CREATE FUNCTION ${sql.id(target.schema, asOf)}(at timestamptz) RETURNS SETOF ${history}
    LANGUAGE sql STABLE AS $fn$
      SELECT * FROM ${history} WHERE _nango_valid_from <= at AND (_nango_valid_to IS NULL OR _nango_valid_to > at)
    $fn$`.execute(trx);
  await sql`COMMENT ON FUNCTION ${sql.id(target.schema, asOf)}(timestamptz) IS
    ${sql.lit(`${target.schema}.${target.table} as it was at an instant (every version valid then; filter NOT _nango_is_deleted for live rows)`)}`.execute(
    trx,
  );
  await sql`COMMENT ON TABLE ${history} IS ${sql.lit(`Every version of ${target.schema}.${target.table}, kept by nango-replicator (history mode)`)}`.execute(
    trx,
  );
  await trx
    .updateTable('nango_replicator.model_tables')
    .set({ history_table: name, history_since: sql`now()` })
    .where('table_schema', '=', target.schema)
    .where('table_name', '=', target.table)
    .execute();
  logger.info(
    { table: `${target.schema}.${target.table}`, history: `${target.schema}.${name}`, versions: Number(seeded.numAffectedRows ?? 0n) },
    'history began: every version is kept from now on, starting from the rows as they stand',
  );
  return name;
}
