import type { ColumnType } from './column-type.js';
import { SQL_RESERVED_WORDS } from './sql-reserved-words.js';

/** The JSON type a column of each type holds, as a data engineer would look it up in the model. */
const JSON_TYPES: Readonly<Record<ColumnType, string>> = {
  text: 'string',
  timestamptz: 'string, date-time',
  bigint: 'integer',
  'double precision': 'number',
  boolean: 'boolean',
  jsonb: 'object, array or mixed',
};

/**
 * The `COMMENT ON COLUMN` text of a typed model column: the Nango field it holds and its JSON type, e.g.
 * `Nango field "createdAt" (string, date-time)`. The field name is JSON-quoted, so quotes, backslashes and control
 * characters (U+0000 included, which Postgres text cannot hold) show escaped. A column named with an SQL reserved
 * word (only tables created before such names were avoided have one) says how to select it.
 */
export function columnComment(field: string, column: string, type: ColumnType): string {
  const base = `Nango field ${JSON.stringify(field)} (${JSON_TYPES[type]})`;
  return SQL_RESERVED_WORDS.has(column) ? `${base}; ${reservedNote(column)}` : base;
}

/** The `COMMENT ON TABLE` text of a model table, e.g. `Nango model "GithubIssue", kept by nango-replicator`. */
export function tableComment(model: string, table: string): string {
  const base = `Nango model ${JSON.stringify(model)}, kept by nango-replicator`;
  return SQL_RESERVED_WORDS.has(table) ? `${base}; ${reservedNote(table)}` : base;
}

function reservedNote(name: string): string {
  return `${name} is an SQL reserved word: always write it quoted, "${name}"`;
}
