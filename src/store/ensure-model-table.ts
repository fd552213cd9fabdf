import { type Kysely, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { assignIdentifier } from '../schema/assign-identifier.js';
import { type ColumnType, isColumnType } from '../schema/column-type.js';
import type { ModelField } from '../schema/model-fields.js';
import { planColumns } from '../schema/plan-columns.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { MappedColumn, TableLayout } from './table-layout.js';

type Trx = Transaction<ReplicatorDatabase>;

/**
 * Makes sure the table of `model` exists in `schema` with a column for every known field, and returns its
 * layout. Tables evolve additively only: a new field adds a column; a field whose type changed keeps its
 * old column (the value is always intact in `_nango_raw`). Names are chosen once and remembered in
 * `nango_replicator.model_tables` / `table_columns`, so they never change between runs.
 *
 * `fields` null means the model's schema is unknown: the table gets the system columns and `id` only.
 * DDL runs under a transaction-scoped advisory lock, so concurrent workers do not race.
 */
export async function ensureModelTable(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  params: { schema: string; model: string; fields: ReadonlyArray<ModelField> | null },
): Promise<TableLayout> {
  return deps.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nango-replicator:ddl:${params.schema}`}))`.execute(trx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(params.schema)}`.execute(trx);
    const { table, isNew } = await tableFor(trx, params.schema, params.model);
    const existing = isNew ? [] : await mappedColumns(trx, params.schema, table);
    const plan = planColumns(existing, params.fields ?? []);
    for (const change of plan.changedType) {
      deps.logger.warn(
        { model: params.model, field: change.field, column: change.column, storedType: change.storedType, newType: change.newType },
        'a field changed type; its column keeps the old type and the value stays intact in _nango_raw',
      );
    }
    if (isNew) await createTable(trx, params.schema, table, plan.added);
    else for (const column of plan.added) await addColumn(trx, params.schema, table, column);
    await recordColumns(trx, params.schema, table, existing.length, plan.added);
    return { schema: params.schema, table, columns: [...existing, ...plan.added] };
  });
}

async function tableFor(trx: Trx, schema: string, model: string): Promise<{ table: string; isNew: boolean }> {
  const known = await trx
    .selectFrom('nango_replicator.model_tables')
    .select('table_name')
    .where('table_schema', '=', schema)
    .where('model', '=', model)
    .executeTakeFirst();
  if (known) return { table: known.table_name, isNew: false };
  // Every relation already in the schema is taken, ours or the user's: never adopt a table we did not create.
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema}
  `.execute(trx);
  const table = assignIdentifier(model, new Set(rows.map((r) => r.name)));
  await trx.insertInto('nango_replicator.model_tables').values({ table_schema: schema, model, table_name: table }).execute();
  return { table, isNew: true };
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

async function createTable(trx: Trx, schema: string, table: string, columns: ReadonlyArray<MappedColumn>) {
  let builder = trx.schema
    .withSchema(schema)
    .createTable(table)
    .addColumn('_nango_provider_config_key', 'text', (c) => c.notNull())
    .addColumn('_nango_connection_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull());
  for (const column of columns) builder = builder.addColumn(column.column, column.type);
  await builder
    .addColumn('_nango_raw', 'jsonb', (c) => c.notNull())
    .addColumn('_nango_last_action', 'text', (c) => c.notNull())
    .addColumn('_nango_first_seen_at', 'timestamptz')
    .addColumn('_nango_last_modified_at', 'timestamptz', (c) => c.notNull())
    .addColumn('_nango_deleted_at', 'timestamptz')
    .addColumn('_nango_pruned_at', 'timestamptz')
    .addColumn('_nango_cursor', 'text', (c) => c.notNull())
    .addColumn('_nango_synced_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint(`${table.slice(0, 57)}_pkey`, ['_nango_provider_config_key', '_nango_connection_id', 'id'])
    .execute();
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
