import { PG_SYSTEM_COLUMNS, SQL_RESERVED_WORDS } from './sql-reserved-words.js';

/**
 * The Postgres type of a typed model column. Only these six exist: anything that is not a plain
 * scalar (arrays, objects, unions of different scalars, unknown shapes) is stored as `jsonb`.
 */
export type ColumnType = 'text' | 'timestamptz' | 'bigint' | 'double precision' | 'boolean' | 'jsonb';

/** Every {@link ColumnType}, for validating a type read back from the database. */
export const COLUMN_TYPES: readonly ColumnType[] = Object.freeze(['text', 'timestamptz', 'bigint', 'double precision', 'boolean', 'jsonb']);

/** True when `value` is one of the {@link COLUMN_TYPES}. */
export function isColumnType(value: unknown): value is ColumnType {
  return typeof value === 'string' && (COLUMN_TYPES as readonly string[]).includes(value);
}

/**
 * The name of the record id field. Nango always returns it as a string; it becomes the `id text`
 * column, so a model field with exactly this name never gets a column of its own.
 */
export const RECORD_ID_FIELD = 'id';

/** Prefix reserved for system columns: no model field may ever map to a name starting with it. */
export const SYSTEM_COLUMN_PREFIX = '_nango_';

/**
 * Columns every model table has, owned by the replicator. A model field never maps to one of these
 * names, nor to any name starting with {@link SYSTEM_COLUMN_PREFIX}.
 */
export const SYSTEM_COLUMNS = Object.freeze([
  /** `text`: the Nango record id (`record.id`, always a string, at most 255 characters). */
  'id',
  /** `text`: the integration (provider config key) the record was read from. */
  '_nango_provider_config_key',
  /** `text`: the Nango connection id the record belongs to. */
  '_nango_connection_id',
  /** `text`: the sync variant the record was read from (`base` for a sync without variants); part of the key. */
  '_nango_variant',
  /** `jsonb`: the whole record as received, minus `_nango_metadata`, with U+0000 removed. */
  '_nango_raw',
  /** `text`: `_nango_metadata.last_action`: `ADDED`, `UPDATED` or `DELETED` (the state when read). */
  '_nango_last_action',
  /** `timestamptz`: `_nango_metadata.first_seen_at`. */
  '_nango_first_seen_at',
  /** `timestamptz`: `_nango_metadata.last_modified_at`, the stream's sort key. */
  '_nango_last_modified_at',
  /** `timestamptz`, nullable: `_nango_metadata.deleted_at`, set when Nango reports the record deleted. */
  '_nango_deleted_at',
  /** `timestamptz`, nullable: `_nango_metadata.pruned_at`, set when Nango emptied the payload. */
  '_nango_pruned_at',
  /** `text`: `_nango_metadata.cursor`, the record's position in the Nango stream. */
  '_nango_cursor',
  /** `timestamptz`: when the replicator last wrote this row (database clock). */
  '_nango_synced_at',
] as const);

/** The name of one of the {@link SYSTEM_COLUMNS}. */
export type SystemColumn = (typeof SYSTEM_COLUMNS)[number];

const SYSTEM_COLUMN_SET: ReadonlySet<string> = new Set(SYSTEM_COLUMNS);

/**
 * True when no model field or table may be given `identifier`: one of the replicator's {@link SYSTEM_COLUMNS}, a
 * name starting with {@link SYSTEM_COLUMN_PREFIX}, one of Postgres' own system columns (`ctid`, `xmin`, ...: a
 * table with such a column cannot be created), or an SQL reserved word (`user`, `select`: usable only quoted, and
 * `SELECT user` silently means something else).
 */
export function isReservedIdentifier(identifier: string): boolean {
  return (
    SYSTEM_COLUMN_SET.has(identifier) ||
    identifier.startsWith(SYSTEM_COLUMN_PREFIX) ||
    PG_SYSTEM_COLUMNS.has(identifier) ||
    SQL_RESERVED_WORDS.has(identifier)
  );
}

/**
 * The column type for a union whose branches map to `types` (`null` = a branch that only admits
 * null). Null branches are dropped (a nullable T is T); if every remaining branch has the same
 * type, that type; otherwise `jsonb`. An empty union is `jsonb`; an all-null union is `null`.
 */
export function unionColumnType(types: ReadonlyArray<ColumnType | null>): ColumnType | null {
  if (types.length === 0) return 'jsonb';
  let common: ColumnType | null = null;
  for (const type of types) {
    if (type === null) continue;
    if (common === null) common = type;
    else if (common !== type) return 'jsonb';
  }
  return common;
}

/**
 * TypeScript-ish type names as Nango's older model definitions write them (nango.yaml aliases
 * included), to their column type. `null` = admits only null.
 */
export const TS_TYPE_NAMES: ReadonlyMap<string, ColumnType | null> = new Map<string, ColumnType | null>([
  ['string', 'text'],
  ['char', 'text'],
  ['varchar', 'text'],
  ['number', 'double precision'],
  ['float', 'double precision'],
  ['integer', 'bigint'],
  ['int', 'bigint'],
  ['boolean', 'boolean'],
  ['bool', 'boolean'],
  ['Date', 'timestamptz'],
  ['date', 'timestamptz'],
  ['null', null],
  ['undefined', null],
]);
