/**
 * Postgres key words that cannot be used unquoted as a column or table name, or that change meaning when they
 * are: `SELECT user FROM t` returns the current database user, `SELECT left FROM t` is a syntax error. Data, not
 * code: the reserved (`catcode = 'R'`) and type/function-name (`'T'`) key words of
 * `SELECT word FROM pg_get_keywords()`, taken from PostgreSQL 15, plus `system_user` (reserved since 16).
 * A test compares this list with the running server's. Unreserved words (`'U'`, `'C'`: `time`, `position`, `int`)
 * are plain column names and stay usable.
 *
 * Adding a word later only affects names chosen from then on: a column or table already created keeps its name
 * (see `nango_replicator.table_columns`).
 */
export const SQL_RESERVED_WORDS: ReadonlySet<string> = new Set([
  // catcode 'R': reserved key words
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check',
  'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role', 'current_time',
  'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except',
  'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'initially', 'intersect', 'into',
  'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not', 'null', 'offset', 'on', 'only', 'or', 'order',
  'placing', 'primary', 'references', 'returning', 'select', 'session_user', 'some', 'symmetric', 'system_user',
  'table', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'when', 'where',
  'window', 'with',
  // catcode 'T': reserved except as a type or function name, so never a bare column name
  'authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze', 'full', 'ilike',
  'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer', 'overlaps', 'right', 'similar',
  'tablesample', 'verbose',
]);

/**
 * Postgres' system columns, present in every table: a user column of the same name cannot be created ("column
 * name ctid conflicts with a system column name"). `oid` has not been one since PostgreSQL 12.
 */
export const PG_SYSTEM_COLUMNS: ReadonlySet<string> = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);
