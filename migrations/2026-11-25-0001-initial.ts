import { type Kysely, sql } from 'kysely';

/**
 * The replicator's own bookkeeping, in schema `nango_replicator`:
 * - streams: one row per (integration, connection, model) with its cursor, which moves in the same
 *   transaction as the rows it covers;
 * - model_tables / table_columns: which table and column each Nango model and field was given, so that
 *   names stay stable as models evolve (a collision resolved once is resolved the same way forever);
 * - runs: one row per sync run with its counts and outcome;
 * - value_errors: values that did not fit their column (stored as NULL there, intact in _nango_raw);
 * - dead_letters: records that could not be stored at all, kept whole for an operator to inspect and replay.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Looks first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists, which a
  // least-privilege role that owns a schema made for it lacks (README, Security).
  const { rows } = await sql`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'nango_replicator'`.execute(db);
  if (rows.length === 0) await db.schema.createSchema('nango_replicator').ifNotExists().execute();
  const s = db.withSchema('nango_replicator').schema;

  await s
    .createTable('streams')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('provider_config_key', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('cursor_updated_at', 'timestamptz')
    .addColumn('newest_modified_at', 'timestamptz')
    .addColumn('last_run_started_at', 'timestamptz')
    .addColumn('last_success_at', 'timestamptz')
    .addColumn('last_error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('streams_stream_key', ['provider_config_key', 'connection_id', 'model'])
    .execute();

  await s
    .createTable('model_tables')
    .addColumn('table_schema', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('model_tables_pkey', ['table_schema', 'model'])
    .addUniqueConstraint('model_tables_table_key', ['table_schema', 'table_name'])
    .execute();

  await s
    .createTable('table_columns')
    .addColumn('table_schema', 'text', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('column_type', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('table_columns_pkey', ['table_schema', 'table_name', 'field'])
    .addUniqueConstraint('table_columns_column_key', ['table_schema', 'table_name', 'column_name'])
    .execute();

  await s
    .createTable('runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('stream_id', 'bigint', (c) => c.notNull().references('nango_replicator.streams.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('upserted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('value_errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('nul_removed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'jsonb')
    .execute();
  await s.createIndex('runs_stream_started').on('runs').columns(['stream_id', 'started_at']).execute();

  await s
    .createTable('value_errors')
    .addColumn('stream_id', 'bigint', (c) => c.notNull().references('nango_replicator.streams.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text', (c) => c.notNull())
    .addColumn('column_type', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('record_cursor', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('value_errors_pkey', ['stream_id', 'record_id', 'field'])
    .execute();

  await s
    .createTable('dead_letters')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('stream_id', 'bigint', (c) => c.notNull().references('nango_replicator.streams.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('page_cursor', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropSchema('nango_replicator').ifExists().cascade().execute();
}
