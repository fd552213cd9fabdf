import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { columnComment, tableComment } from '../schema/column-comment.js';
import { SQL_RESERVED_WORDS } from '../schema/sql-reserved-words.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { MappedColumn } from './table-layout.js';

/**
 * Keeps the `COMMENT`s of a model table up to date: the table names its Nango model, each typed column its Nango
 * field and JSON type (see `columnComment`). Reads the current comments in one query and writes only those that
 * differ, so a table already commented costs one catalog read per run.
 *
 * A table or column named with an SQL reserved word (created before such names were avoided; it keeps its name,
 * since downstream queries use it) gets a note in its comment on how to select it, and the first run that writes
 * that note logs one warning per table. The comment is the memory: later runs, in any process, find it in place
 * and stay quiet.
 */
export async function commentModelTable(
  trx: Transaction<ReplicatorDatabase>,
  logger: Logger,
  target: { schema: string; table: string; model: string; columns: ReadonlyArray<MappedColumn> },
): Promise<void> {
  const { schema, table } = target;
  const current = await currentComments(trx, schema, table);
  const reserved: string[] = [];
  const wantedTable = tableComment(target.model, table);
  if (current.table !== wantedTable) {
    await sql`COMMENT ON TABLE ${sql.id(schema, table)} IS ${sql.lit(wantedTable)}`.execute(trx);
    if (SQL_RESERVED_WORDS.has(table)) reserved.push(table);
  }
  for (const column of target.columns) {
    const wanted = columnComment(column.field, column.column, column.type);
    if (current.columns.get(column.column) === wanted) continue;
    await sql`COMMENT ON COLUMN ${sql.id(schema, table, column.column)} IS ${sql.lit(wanted)}`.execute(trx);
    if (SQL_RESERVED_WORDS.has(column.column)) reserved.push(column.column);
  }
  if (reserved.length > 0) {
    logger.warn(
      { table: `${schema}.${table}`, names: reserved },
      'this table was created with SQL reserved words as names; they are kept so existing queries still work, but must ' +
        'be quoted ("user"): unquoted, SELECT user returns the database user. New tables and columns never get such names',
    );
  }
}

async function currentComments(
  trx: Transaction<ReplicatorDatabase>,
  schema: string,
  table: string,
): Promise<{ table: string | null; columns: Map<string, string | null> }> {
  const { rows } = await sql<{ column: string | null; comment: string | null }>`
    SELECT NULL AS column, obj_description(c.oid, 'pg_class') AS comment
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relname = ${table}
    UNION ALL
    SELECT a.attname, col_description(a.attrelid, a.attnum)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relname = ${table} AND a.attnum > 0 AND NOT a.attisdropped
  `.execute(trx);
  const columns = new Map<string, string | null>();
  let tableText: string | null = null;
  for (const row of rows) {
    if (row.column === null) tableText = row.comment;
    else columns.set(row.column, row.comment);
  }
  return { table: tableText, columns };
}
