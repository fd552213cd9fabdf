import { type Kysely, sql } from 'kysely';

/**
 * Row counts per stream without counting the model tables on every view (issue 19):
 * - `streams.live_rows` / `total_rows`, kept by statement-level triggers on every model table (through
 *   `stream_row_deltas`, folded by the page transaction; see src/store/row-count-triggers.ts), initialised here
 *   from the rows that exist (triggers first, then the counts, in this migration's transaction: the triggers'
 *   lock holds writers back until both are in place);
 * - `streams.period_ms`: the stream's configured period (`every`), recorded by discovery; staleness is judged
 *   against it. Null until discovery has seen the stream (a `sync` from the command line).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE nango_replicator.streams
    ADD COLUMN live_rows bigint NOT NULL DEFAULT 0,
    ADD COLUMN total_rows bigint NOT NULL DEFAULT 0,
    ADD COLUMN period_ms bigint`.execute(db);
  await sql`CREATE TABLE nango_replicator.stream_row_deltas (
    stream_id bigint NOT NULL REFERENCES nango_replicator.streams (id) ON DELETE CASCADE,
    live bigint NOT NULL,
    total bigint NOT NULL)`.execute(db);
  await sql`CREATE INDEX stream_row_deltas_stream ON nango_replicator.stream_row_deltas (stream_id)`.execute(db);
  await ROW_COUNT_FUNCTIONS_0010.execute(db);
  const { rows: tables } = await sql<{ table_schema: string; table_name: string; model: string }>`
    SELECT m.table_schema, m.table_name, m.model FROM nango_replicator.model_tables m
    WHERE to_regclass(format('%I.%I', m.table_schema, m.table_name)) IS NOT NULL`.execute(db);
  for (const t of tables) {
    await installTriggers0010(db, t.table_schema, t.table_name);
    await sql`
      UPDATE nango_replicator.streams s SET live_rows = c.live, total_rows = c.total
      FROM (SELECT _nango_provider_config_key AS pck, _nango_connection_id AS conn,
                   count(*) FILTER (WHERE _nango_deleted_at IS NULL) AS live, count(*) AS total
            FROM ${sql.table(`${t.table_schema}.${t.table_name}`)} GROUP BY 1, 2) c
      WHERE s.provider_config_key = c.pck AND s.connection_id = c.conn AND s.model = ${t.model}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const { rows: tables } = await sql<{ table_schema: string; table_name: string }>`
    SELECT table_schema, table_name FROM nango_replicator.model_tables
    WHERE to_regclass(format('%I.%I', table_schema, table_name)) IS NOT NULL`.execute(db);
  for (const t of tables) {
    for (const name of ['nango_replicator_rows_inserted', 'nango_replicator_rows_updated', 'nango_replicator_rows_deleted']) {
      await sql`DROP TRIGGER IF EXISTS ${sql.id(name)} ON ${sql.table(`${t.table_schema}.${t.table_name}`)}`.execute(db);
    }
  }
  await sql`DROP FUNCTION IF EXISTS nango_replicator.count_rows_inserted(), nango_replicator.count_rows_updated(),
    nango_replicator.count_rows_deleted()`.execute(db);
  await sql`DROP TABLE nango_replicator.stream_row_deltas`.execute(db);
  await sql`ALTER TABLE nango_replicator.streams DROP COLUMN live_rows, DROP COLUMN total_rows, DROP COLUMN period_ms`.execute(db);
}

/**
 * The trigger functions as this migration made them, frozen here: later migrations replace them (0011 counts per
 * variant), and a migration must do the same thing whenever it runs.
 */
export const ROW_COUNT_FUNCTIONS_0010 = sql`
CREATE OR REPLACE FUNCTION nango_replicator.count_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
  SELECT s.id, count(*) FILTER (WHERE n._nango_deleted_at IS NULL), count(*)
  FROM new_rows n
  JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
  JOIN nango_replicator.streams s
    ON s.provider_config_key = n._nango_provider_config_key AND s.connection_id = n._nango_connection_id AND s.model = m.model
  GROUP BY s.id;
  RETURN NULL;
END $fn$;

CREATE OR REPLACE FUNCTION nango_replicator.count_rows_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
  SELECT s.id, sum(c.live), 0
  FROM (
    SELECT _nango_provider_config_key AS pck, _nango_connection_id AS conn, 1 AS live FROM new_rows WHERE _nango_deleted_at IS NULL
    UNION ALL
    SELECT _nango_provider_config_key, _nango_connection_id, -1 FROM old_rows WHERE _nango_deleted_at IS NULL
  ) c
  JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
  JOIN nango_replicator.streams s ON s.provider_config_key = c.pck AND s.connection_id = c.conn AND s.model = m.model
  GROUP BY s.id
  HAVING sum(c.live) <> 0;
  RETURN NULL;
END $fn$;

CREATE OR REPLACE FUNCTION nango_replicator.count_rows_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO nango_replicator.stream_row_deltas (stream_id, live, total)
  SELECT s.id, -count(*) FILTER (WHERE o._nango_deleted_at IS NULL), -count(*)
  FROM old_rows o
  JOIN nango_replicator.model_tables m ON m.table_schema = TG_TABLE_SCHEMA AND m.table_name = TG_TABLE_NAME
  JOIN nango_replicator.streams s
    ON s.provider_config_key = o._nango_provider_config_key AND s.connection_id = o._nango_connection_id AND s.model = m.model
  GROUP BY s.id;
  RETURN NULL;
END $fn$;
`;

/** The triggers as this migration installed them (no argument: see src/store/row-count-triggers.ts). */
async function installTriggers0010(db: Kysely<unknown>, schema: string, table: string): Promise<void> {
  const t = sql.table(`${schema}.${table}`);
  const triggers = [
    ['nango_replicator_rows_inserted', 'INSERT', 'NEW TABLE AS new_rows', 'count_rows_inserted'],
    ['nango_replicator_rows_updated', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'count_rows_updated'],
    ['nango_replicator_rows_deleted', 'DELETE', 'OLD TABLE AS old_rows', 'count_rows_deleted'],
  ] as const;
  for (const [name, event, referencing, fn] of triggers) {
    await sql`DROP TRIGGER IF EXISTS ${sql.id(name)} ON ${t}`.execute(db);
    await sql`CREATE TRIGGER ${sql.id(name)} AFTER ${sql.raw(event)} ON ${t} REFERENCING ${sql.raw(referencing)}
      FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id('nango_replicator', fn)}()`.execute(db);
  }
}
