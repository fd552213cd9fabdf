import type { NangoRecord, RecordsPage } from './records-page.js';
import { coerceValue } from '../schema/coerce-value.js';
import { containsNul, stripNul } from '../schema/strip-nul.js';
import { textArray, timestamptzArray } from './binary-arrays.js';
import { jsonbBinary, pageBodyPayloads } from './page-body-payloads.js';
import type { TableLayout } from '../store/table-layout.js';

/** A value that did not fit its column: NULL in the column, intact in `_nango_raw`. */
export interface ValueError {
  record_id: string;
  field: string;
  column_name: string;
  column_type: string;
  reason: string;
  record_cursor: string;
}

/** `_nango_metadata` of the upserted records as parallel arrays (index i = record i of `payloads`). */
export interface PreparedMetadata {
  lastAction: ArrayParam;
  firstSeenAt: ArrayParam;
  lastModifiedAt: ArrayParam;
  deletedAt: ArrayParam;
  prunedAt: ArrayParam;
  cursor: ArrayParam;
}

/**
 * An array parameter: in Postgres' binary format (see `binary-arrays.ts`), or the values themselves, which
 * node-postgres sends as a text array, for a timestamp in a form the binary encoder leaves to Postgres.
 */
export type ArrayParam = Buffer | ReadonlyArray<string | null>;

/**
 * Records a page writes per statement: a bigger statement costs Postgres more per record to take apart
 * (docs/decisions/0005-rows-per-statement.md). The statements of a page share its transaction, so it commits whole.
 */
export const ROWS_PER_STATEMENT = 1000;

/** A page turned into the parameters of its one write transaction. */
export interface PreparedPage {
  /** The records to write (none for a page with nothing to upsert), in statements in page order. */
  statements: PreparedRows[];
  /** `response`: the text Nango sent, metadata blanked out (see {@link pageBodyPayloads}); `stringify`: JSON.stringify's. */
  payloadsText: 'response' | 'stringify';
  /** Bytes of the payload parameters, over every statement. */
  payloadBytes: number;
  /** JSON array of `{id, m}` (m = last_modified_at) to hard-delete; null unless deletes are hard. */
  hardDeleteJson: string | null;
  hardDeleteCount: number;
  /** U+0000 characters removed from strings and keys (Postgres refuses them in text and jsonb). */
  nulRemoved: number;
  /** The newest `last_modified_at` in the page, for freshness; null for an empty page. */
  newestModifiedAt: string | null;
}

/** The parameters of one statement of a page: consecutive records of it, their payloads, metadata and checks. */
export interface PreparedRows {
  /**
   * JSON array of the payloads to upsert (without `_nango_metadata`), one per id, the later occurrence winning: as
   * jsonb's binary wire format (a version byte, 1, then the UTF-8 text). A Buffer lives outside the JavaScript
   * heap, so the pages in flight do not make V8 grow its heap (see docs/performance.md, Memory).
   */
  payloads: Buffer;
  metadata: PreparedMetadata;
  /** Id -> columns whose value did not fit, as JSON; null when every value fits (the usual case). */
  badColumnsJson: string | null;
  /** The columns named in `badColumnsJson`: only these need a NULL-if-bad guard in SQL. */
  badColumns: ReadonlySet<string>;
  /** The values that did not fit, of every record to upsert. Stored only for the versions actually written. */
  valueErrors: ReadonlyArray<ValueError>;
  /**
   * Soft-deleted or pruned records among those with value errors. Such a version keeps the stored values of its
   * row, so its own errors only count when it is the first version of its record stored (see `replaceValueErrors`).
   */
  keptWithErrors: ReadonlyArray<string>;
}

/**
 * Dedups, cleans and checks one page before it is written. Synchronous; the per-record work is kept to what only
 * Node can do (type checks against the JSON value); extraction and casts happen in SQL. The payloads are Nango's
 * own bytes with the metadata blanked out when the page allows it (see {@link pageBodyPayloads}; `page.body` is
 * consumed), else JSON.stringify of the records, whose metadata is hidden meanwhile. The page's records are left as
 * they were. The records to upsert are split into statements of `rowsPerStatement`.
 */
export function preparePage(
  page: RecordsPage,
  layout: TableLayout,
  deletes: 'soft' | 'hard',
  rowsPerStatement: number = ROWS_PER_STATEMENT,
): PreparedPage {
  const latest = latestById(page.records);
  const deleted = deletes === 'hard' ? latest.filter((r) => r._nango_metadata.deleted_at != null) : [];
  const upserted = deleted.length > 0 ? latest.filter((r) => r._nango_metadata.deleted_at == null) : latest;
  const starts = statementStarts(upserted.length, rowsPerStatement);
  // The usual page (every element a record to write, no U+0000) goes as the bytes Nango sent, minus the metadata.
  const whole = page.body !== undefined && upserted === page.records && deleted.length === 0 && page.rejected.length === 0;
  const fromBody = whole ? pageBodyPayloads(page.body as Uint8Array, upserted, page.nextCursor, starts) : null;
  const { records, toDelete, payloads, nulRemoved } =
    fromBody === null ? serialise(upserted, deleted, starts) : { records: upserted, toDelete: deleted, payloads: fromBody, nulRemoved: 0 };

  const statements =
    records.length === 0
      ? []
      : inStatements(records, starts).map((slice, i) => ({
          payloads: payloads[i] as Buffer,
          metadata: metadataArrays(slice),
          ...checkValues(slice, layout),
        }));
  const last = page.records.at(-1);
  return {
    statements,
    payloadsText: fromBody === null ? 'stringify' : 'response',
    payloadBytes: payloads.reduce((sum, parameter) => sum + parameter.length, 0),
    hardDeleteJson: deletes === 'hard' ? JSON.stringify(toDelete.map((r) => ({ id: r.id, m: r._nango_metadata.last_modified_at }))) : null,
    hardDeleteCount: toDelete.length,
    nulRemoved,
    newestModifiedAt: last?._nango_metadata.last_modified_at ?? null,
  };
}

/** Indexes of the records that begin a statement after the first: every `rowsPerStatement`-th. */
function statementStarts(records: number, rowsPerStatement: number): number[] {
  const starts: number[] = [];
  for (let k = rowsPerStatement; k < records; k += rowsPerStatement) starts.push(k);
  return starts;
}

/** `records` cut before each index of `starts`: the records of each statement, in order. */
function inStatements<T>(records: ReadonlyArray<T>, starts: ReadonlyArray<number>): T[][] {
  return [0, ...starts].map((start, i) => records.slice(start, starts[i] ?? records.length));
}

/**
 * The payloads as JSON.stringify writes them, one parameter per statement, with U+0000 removed from the records (and
 * those to hard-delete) when any string or key holds it, as Postgres refuses it in text and jsonb.
 */
function serialise(records: NangoRecord[], toDelete: NangoRecord[], starts: ReadonlyArray<number>) {
  const texts = (all: NangoRecord[]) => inStatements(all, starts).map(payloadsJson);
  const json = texts(records);
  if (!holdsNul(json, records, toDelete)) return { records, toDelete, payloads: json.map(jsonbBinary), nulRemoved: 0 };
  let nulRemoved = 0;
  const strip = (record: NangoRecord) => {
    const cleaned = stripNul(record);
    nulRemoved += cleaned.removed;
    return cleaned.value;
  };
  const cleaned = records.map(strip);
  return { records: cleaned, toDelete: toDelete.map(strip), payloads: texts(cleaned).map(jsonbBinary), nulRemoved };
}

/**
 * Whether any string or key holds U+0000. JSON.stringify writes it as `\u0000` and never raw, so one scan of
 * the page's text clears the usual page; of the metadata only the cursor is free text; records to hard-delete
 * are few. Rare: only then are records copied.
 */
function holdsNul(json: ReadonlyArray<string>, records: ReadonlyArray<NangoRecord>, toDelete: ReadonlyArray<NangoRecord>): boolean {
  if (json.some((text) => text.includes('\\u0000') && containsNul(text))) return true;
  if (records.some((r) => r._nango_metadata.cursor.includes('\u0000'))) return true;
  return toDelete.some((r) => containsNul(JSON.stringify(r)));
}

/** One record per id, the later occurrence winning, at the position of the first. No copy when ids are unique. */
function latestById(records: NangoRecord[]): NangoRecord[] {
  const latest = new Map<string, NangoRecord>();
  for (const record of records) latest.set(record.id, record);
  return latest.size === records.length ? records : [...latest.values()];
}

/**
 * The payloads as JSON without `_nango_metadata`: the property is hidden for the length of one
 * JSON.stringify (which skips undefined values) and put back, so no record is copied.
 */
function payloadsJson(records: NangoRecord[]): string {
  const hidden = records.map((record) => record._nango_metadata);
  const writable = records as unknown as { _nango_metadata: unknown }[];
  try {
    for (const record of writable) record._nango_metadata = undefined;
    return JSON.stringify(records);
  } finally {
    for (let i = 0; i < writable.length; i++) (writable[i] as { _nango_metadata: unknown })._nango_metadata = hidden[i];
  }
}

function metadataArrays(records: ReadonlyArray<NangoRecord>): PreparedMetadata {
  const n = records.length;
  const column = () => new Array<string | null>(n);
  const [action, firstSeen, lastModified, deleted, pruned, cursor] = [column(), column(), column(), column(), column(), column()];
  for (let i = 0; i < n; i++) {
    const m = (records[i] as NangoRecord)._nango_metadata;
    action[i] = m.last_action;
    firstSeen[i] = m.first_seen_at;
    lastModified[i] = m.last_modified_at;
    deleted[i] = m.deleted_at ?? null;
    pruned[i] = m.pruned_at ?? null;
    cursor[i] = m.cursor;
  }
  const timestamps = (values: (string | null)[]) => timestamptzArray(values) ?? values;
  return {
    lastAction: textArray(action),
    firstSeenAt: timestamps(firstSeen),
    lastModifiedAt: timestamps(lastModified),
    deletedAt: timestamps(deleted),
    prunedAt: timestamps(pruned),
    cursor: textArray(cursor),
  };
}

/** The values of `records` that do not fit their column, and what the statement needs to know of them. */
function checkValues(records: ReadonlyArray<NangoRecord>, layout: TableLayout): Omit<PreparedRows, 'payloads' | 'metadata'> {
  const badColumns = new Set<string>();
  const badById: Record<string, string[]> = {};
  const valueErrors: ValueError[] = [];
  const keptWithErrors: string[] = [];
  const checked = layout.columns.filter((column) => column.type !== 'jsonb');
  for (const record of records) {
    // A deleted or pruned version keeps the stored values of its row; its own are only stored when its record is
    // new. A pruned payload is normally empty, but is checked like any other, so a bad value in it cannot fail the
    // page's INSERT on the cast.
    const kept = record._nango_metadata.deleted_at != null || record._nango_metadata.pruned_at != null;
    for (const column of checked) {
      const value = record[column.field];
      if (value === null || value === undefined) continue;
      const result = coerceValue(column.type, value);
      if (result.ok) continue;
      badColumns.add(column.column);
      if (badById[record.id] === undefined && kept) keptWithErrors.push(record.id);
      (badById[record.id] ??= []).push(column.column);
      valueErrors.push({
        record_id: record.id,
        field: column.field,
        column_name: column.column,
        column_type: column.type,
        reason: result.reason,
        record_cursor: record._nango_metadata.cursor,
      });
    }
  }
  return { badColumnsJson: badColumns.size === 0 ? null : JSON.stringify(badById), badColumns, valueErrors, keptWithErrors };
}
