import { type Kysely, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { assignIdentifier } from '../schema/assign-identifier.js';
import { type ColumnType, isColumnType } from '../schema/column-type.js';
import { derivedIdentifier } from '../schema/derived-identifier.js';
import type { ModelField } from '../schema/model-fields.js';
import { planColumns } from '../schema/plan-columns.js';
import { commentModelTable } from './comment-model-table.js';
import { ensureHistoryTable, HISTORY_KEY_INDEX_COLUMNS, HISTORY_KEY_INDEX_SUFFIX } from './ensure-history-table.js';
import {
  CHANGE_POSITION_COLUMN,
  CHANGE_POSITION_INDEX_COLUMNS,
  CHANGE_POSITION_INDEX_SUFFIX,
  ensureChangePosition,
} from './ensure-change-position.js';
import { ensureSyncedAtIndex, ensureTableIndex, SYNCED_AT_INDEX_COLUMNS, SYNCED_AT_INDEX_SUFFIX } from './ensure-synced-at-index.js';
import { ensureVariantColumn, migrateToVariantKey, VARIANT_COLUMN, VARIANT_KEY_COLUMNS } from './migrate-to-variant-key.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import { installRowCountTriggers } from './row-count-triggers.js';
import type { MappedColumn, TableLayout } from './table-layout.js';
import { ensureSchema } from './ensure-schema.js';
import { BASE_VARIANT } from '../stream/stream-key.js';

type Trx = Transaction<ReplicatorDatabase>;

/** Postgres' own fillfactor for tables: pages are filled completely. */
const DEFAULT_FILLFACTOR = 100;

/**
 * Makes sure the table of `model` exists in `schema` with a column for every known field, and returns its
 * layout. Tables evolve additively only: a new field adds a column; a field whose type changed keeps its
 * old column (the value is always intact in `_nango_raw`). Names are chosen once and remembered in
 * `nango_replicator.model_tables` / `table_columns`, so they never change between runs.
 *
 * `fields` null means the model's schema is unknown: the table gets the system columns and `id` only.
 * `fillfactor` is the table's storage parameter: a new table is created with it, an existing one whose
 * `reloptions` say otherwise is altered (which affects only the pages written from then on).
 * DDL runs under a transaction-scoped advisory lock, so concurrent workers do not race.
 *
 * The table and each typed column carry a `COMMENT` naming the Nango model and field (kept up to date as columns
 * are added), and the table has an index on `(_nango_provider_config_key, _nango_connection_id, _nango_synced_at)`
 * for downstream incremental reads: created with a new table, and built `CONCURRENTLY` after the transaction for a
 * table created before the index existed (see `ensureSyncedAtIndex`). The change feed's `_nango_txid` column and
 * its index come the same way (a table from before the feed gains the column without a rewrite, see
 * `ensureChangePosition`).
 *
 * Rows are keyed by (integration, connection, variant, id): the variants of a model share its table, their ids may
 * repeat. A table created before variants gains `_nango_variant` in the DDL transaction and moves to the new
 * primary key after it, in place and without a long lock (`ensureVariantColumn`, `migrateToVariantKey`).
 */
export async function ensureModelTable(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  params: {
    schema: string;
    model: string;
    fields: ReadonlyArray<ModelField> | null;
    /** 10..100, validated by the config; 100 is Postgres' default and sets no storage parameter. */
    fillfactor: number;
    /** History mode (`target.history`): keep every version in `<table>_history` (see `ensureHistoryTable`). Default false. */
    history?: boolean;
  },
): Promise<TableLayout> {
  const ensured = await deps.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nango-replicator:ddl:${params.schema}`}))`.execute(trx);
    await ensureSchema(trx, params.schema);
    const { table, isNew, relations } = await tableFor(trx, params.schema, params.model);
    const existing = isNew ? [] : await mappedColumns(trx, params.schema, table);
    const plan = planColumns(existing, params.fields ?? []);
    for (const change of plan.changedType) {
      deps.logger.warn(
        { model: params.model, field: change.field, column: change.column, storedType: change.storedType, newType: change.newType },
        'a field changed type; its column keeps the old type and the value stays intact in _nango_raw',
      );
    }
    if (isNew) {
      await createTable(trx, { schema: params.schema, table, relations }, plan.added, params.fillfactor);
      await installRowCountTriggers(trx, params.schema, table);
    } else {
      for (const column of plan.added) await addColumn(trx, params.schema, table, column);
      await ensureChangePosition(trx, { schema: params.schema, table });
      await ensureVariantColumn(trx, deps.logger, { schema: params.schema, table });
      await applyFillfactor(trx, deps.logger, { schema: params.schema, table, fillfactor: params.fillfactor });
    }
    await recordColumns(trx, params.schema, table, existing.length, plan.added);
    const columns = [...existing, ...plan.added];
    await commentModelTable(trx, deps.logger, { schema: params.schema, table, model: params.model, columns });
    const history = await ensureHistoryTable(trx, deps.logger, {
      schema: params.schema,
      table,
      columns,
      added: plan.added,
      wanted: params.history ?? false,
    });
    const layout: TableLayout = { schema: params.schema, table, columns, ...(history === undefined ? {} : { history }) };
    return { layout, isNew };
  });
  if (!ensured.isNew) {
    const target = { schema: params.schema, table: ensured.layout.table };
    // Before any write: the writes' ON CONFLICT names the variant key, which needs its unique index.
    await migrateToVariantKey(deps, target);
    await ensureSyncedAtIndex(deps, target);
    const feedIndex = { columns: CHANGE_POSITION_INDEX_COLUMNS, suffix: CHANGE_POSITION_INDEX_SUFFIX, what: 'change feed (_nango_txid)' };
    await ensureTableIndex(deps, { ...target, ...feedIndex });
    const history = ensured.layout.history;
    if (history !== undefined) {
      const historyIndex = { columns: HISTORY_KEY_INDEX_COLUMNS, suffix: HISTORY_KEY_INDEX_SUFFIX, what: 'history key (with variant)' };
      await ensureTableIndex(deps, { schema: params.schema, table: history, ...historyIndex });
    }
  }
  return ensured.layout;
}

/** The model's table; for a new one, also every relation name already in the schema (all taken). */
async function tableFor(
  trx: Trx,
  schema: string,
  model: string,
): Promise<{ table: string; isNew: boolean; relations: ReadonlySet<string> }> {
  const known = await trx
    .selectFrom('nango_replicator.model_tables')
    .select('table_name')
    .where('table_schema', '=', schema)
    .where('model', '=', model)
    .executeTakeFirst();
  if (known) return { table: known.table_name, isNew: false, relations: new Set() };
  // Every relation already in the schema is taken, ours or the user's: never adopt a table we did not create.
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema}
  `.execute(trx);
  const relations = new Set(rows.map((r) => r.name));
  const table = assignIdentifier(model, relations);
  await trx.insertInto('nango_replicator.model_tables').values({ table_schema: schema, model, table_name: table }).execute();
  return { table, isNew: true, relations };
}

async function mappedColumns(trx: Trx, schema: string, table: string): Promise<MappedColumn[]> {
  const rows = await trx
    .selectFrom('nango_replicator.table_columns')
    .select(['field', 'column_name', 'column_type'])
    .where('table_schema', '=', schema)
    .where('table_name', '=', table)
    .orderBy('position')
    .execute();
  return rows.map((r) => ({ field: r.field, column: r.column_name, type: checkedType(r.column_type) }));
}

function checkedType(type: string): ColumnType {
  if (!isColumnType(type)) throw new Error(`nango_replicator.table_columns holds an unknown column type "${type}"`);
  return type;
}

/**
 * Creates the table with its primary key and its `_nango_synced_at` index, named `<table>_pkey` and
 * `<table>_synced_at_idx` unless a relation of the schema already has that name (see `derivedIdentifier`).
 */
async function createTable(
  trx: Trx,
  target: { schema: string; table: string; relations: ReadonlySet<string> },
  columns: ReadonlyArray<MappedColumn>,
  fillfactor: number,
) {
  const { schema, table } = target;
  const taken = new Set([...target.relations, table]);
  const primaryKey = derivedIdentifier(table, '_pkey', taken);
  taken.add(primaryKey);
  const syncedAtIndex = derivedIdentifier(table, SYNCED_AT_INDEX_SUFFIX, taken);
  taken.add(syncedAtIndex);
  const txidIndex = derivedIdentifier(table, CHANGE_POSITION_INDEX_SUFFIX, taken);
  let builder = trx.schema
    .withSchema(schema)
    .createTable(table)
    .addColumn('_nango_provider_config_key', 'text', (c) => c.notNull())
    .addColumn('_nango_connection_id', 'text', (c) => c.notNull())
    .addColumn(VARIANT_COLUMN, 'text', (c) => c.notNull().defaultTo(BASE_VARIANT))
    .addColumn('id', 'text', (c) => c.notNull());
  for (const column of columns) builder = builder.addColumn(column.column, column.type);
  const created = builder
    .addColumn('_nango_raw', 'jsonb', (c) => c.notNull())
    .addColumn('_nango_last_action', 'text', (c) => c.notNull())
    .addColumn('_nango_first_seen_at', 'timestamptz')
    .addColumn('_nango_last_modified_at', 'timestamptz', (c) => c.notNull())
    .addColumn('_nango_deleted_at', 'timestamptz')
    .addColumn('_nango_pruned_at', 'timestamptz')
    .addColumn('_nango_cursor', 'text', (c) => c.notNull())
    .addColumn('_nango_synced_at', 'timestamptz', (c) => c.notNull())
    .addColumn(CHANGE_POSITION_COLUMN, sql`xid8`)
    .addPrimaryKeyConstraint(primaryKey, [...VARIANT_KEY_COLUMNS]);
  // At Postgres' default the table gets no storage parameter at all, as before the setting existed.
  if (fillfactor === DEFAULT_FILLFACTOR) await created.execute();
  else await created.modifyEnd(sql`WITH (fillfactor = ${sql.lit(fillfactor)})`).execute();
  await trx.schema
    .withSchema(schema)
    .createIndex(syncedAtIndex)
    .on(table)
    .columns([...SYNCED_AT_INDEX_COLUMNS])
    .execute();
  await trx.schema
    .withSchema(schema)
    .createIndex(txidIndex)
    .on(table)
    .columns([...CHANGE_POSITION_INDEX_COLUMNS])
    .execute();
}

/**
 * Brings an existing table's fillfactor to the configured one. Postgres applies it to pages written from then on;
 * the pages already there keep their fill until they are rewritten (VACUUM FULL, CLUSTER).
 */
async function applyFillfactor(trx: Trx, logger: Logger, target: { schema: string; table: string; fillfactor: number }) {
  const current = await currentFillfactor(trx, target.schema, target.table);
  if (current === target.fillfactor) return;
  const table = sql.id(target.schema, target.table);
  // Back at the default, the parameter is removed rather than set, so the table looks like a fresh one.
  if (target.fillfactor === DEFAULT_FILLFACTOR) await sql`ALTER TABLE ${table} RESET (fillfactor)`.execute(trx);
  else await sql`ALTER TABLE ${table} SET (fillfactor = ${sql.lit(target.fillfactor)})`.execute(trx);
  logger.info(
    { table: `${target.schema}.${target.table}`, fillfactor: target.fillfactor, previousFillfactor: current },
    'table fillfactor changed; it applies only to pages written from now on, existing pages keep their fill until rewritten',
  );
}

/** The table's fillfactor from `pg_class.reloptions` (`{fillfactor=50}`), 100 when none is set. */
async function currentFillfactor(trx: Trx, schema: string, table: string): Promise<number> {
  const { rows } = await sql<{ fillfactor: string | null }>`
    SELECT (SELECT split_part(o, '=', 2) FROM unnest(c.reloptions) AS o WHERE o LIKE 'fillfactor=%') AS fillfactor
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relname = ${table}
  `.execute(trx);
  const value = rows[0]?.fillfactor;
  return value === null || value === undefined ? DEFAULT_FILLFACTOR : Number(value);
}

async function addColumn(trx: Trx, schema: string, table: string, column: MappedColumn) {
  // No IF NOT EXISTS: a column we did not map must never be silently reused with another type.
  await trx.schema.withSchema(schema).alterTable(table).addColumn(column.column, column.type).execute();
}

async function recordColumns(trx: Trx, schema: string, table: string, offset: number, added: ReadonlyArray<MappedColumn>) {
  if (added.length === 0) return;
  await trx
    .insertInto('nango_replicator.table_columns')
    .values(
      added.map((c, i) => ({
        table_schema: schema,
        table_name: table,
        field: c.field,
        column_name: c.column,
        column_type: c.type,
        position: offset + i,
      })),
    )
    .execute();
}
