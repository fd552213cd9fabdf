import type { NangoRecord, RecordsPage } from '../nango/nango-record.js';
import { coerceValue } from '../schema/coerce-value.js';
import { containsNul, stripNul } from '../schema/strip-nul.js';
import { textArray, timestamptzArray } from './binary-arrays.js';
import { jsonbBinary, pageBodyPayloads } from './page-body-payloads.js';
import type { TableLayout } from './table-layout.js';

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

/** A page turned into the parameters of its one write transaction. */
export interface PreparedPage {
  /**
   * JSON array of the payloads to upsert (without `_nango_metadata`), one per id, the later occurrence winning: as
   * jsonb's binary wire format (a version byte, 1, then the UTF-8 text). A Buffer lives outside the JavaScript
   * heap, so the pages in flight do not make V8 grow its heap (see docs/performance.md, Memory).
   */
  payloads: Buffer;
  /** `response`: the text Nango sent, metadata blanked out (see {@link pageBodyPayloads}); `stringify`: JSON.stringify's. */
  payloadsText: 'response' | 'stringify';
  metadata: PreparedMetadata;
  upsertCount: number;
  /** Id -> columns whose value did not fit, as JSON; null when every value fits (the usual case). */
  badColumnsJson: string | null;
  /** The columns named in `badColumnsJson`: only these need a NULL-if-bad guard in SQL. */
  badColumns: ReadonlySet<string>;
  /** JSON array of `{id, m}` (m = last_modified_at) to hard-delete; null unless deletes are hard. */
  hardDeleteJson: string | null;
  hardDeleteCount: number;
  /** The values that did not fit, of every record to upsert. Stored only for the versions actually written. */
  valueErrors: ValueError[];
  /**
   * Soft-deleted or pruned records among those with value errors. Such a version keeps the stored values of its
   * row, so its own errors only count when it is the first version of its record stored (see `replaceValueErrors`).
   */
  keptWithErrors: string[];
  /** U+0000 characters removed from strings and keys (Postgres refuses them in text and jsonb). */
  nulRemoved: number;
  /** The newest `last_modified_at` in the page, for freshness; null for an empty page. */
  newestModifiedAt: string | null;
}

/**
 * Dedups, cleans and checks one page before it is written. Synchronous; the per-record work is kept to what only
 * Node can do (type checks against the JSON value); extraction and casts happen in SQL. The payloads are Nango's
 * own bytes with the metadata blanked out when the page allows it (see {@link pageBodyPayloads}; `page.body` is
 * consumed), else one JSON.stringify of the records, whose metadata is hidden meanwhile. The page's records are
 * left as they were.
 */
export function preparePage(page: RecordsPage, layout: TableLayout, deletes: 'soft' | 'hard'): PreparedPage {
  const latest = latestById(page.records);
  const deleted = deletes === 'hard' ? latest.filter((r) => r._nango_metadata.deleted_at != null) : [];
  const upserted = deleted.length > 0 ? latest.filter((r) => r._nango_metadata.deleted_at == null) : latest;
  // The usual page (every element a record to write, no U+0000) goes as the bytes Nango sent, minus the metadata.
  const whole = page.body !== undefined && upserted === page.records && deleted.length === 0 && page.rejected.length === 0;
  const fromBody = whole ? pageBodyPayloads(page.body as Uint8Array, upserted, page.nextCursor) : null;
  const { records, toDelete, payloads, nulRemoved } =
    fromBody === null ? serialise(upserted, deleted) : { records: upserted, toDelete: deleted, payloads: fromBody, nulRemoved: 0 };

  const { badColumns, badById, valueErrors, keptWithErrors } = checkValues(records, layout);
  const last = page.records.at(-1);
  return {
    payloads,
    payloadsText: fromBody === null ? 'stringify' : 'response',
    metadata: metadataArrays(records),
    upsertCount: records.length,
    badColumnsJson: badColumns.size === 0 ? null : JSON.stringify(badById),
    badColumns,
    hardDeleteJson: deletes === 'hard' ? JSON.stringify(toDelete.map((r) => ({ id: r.id, m: r._nango_metadata.last_modified_at }))) : null,
    hardDeleteCount: toDelete.length,
    valueErrors,
    keptWithErrors,
    nulRemoved,
    newestModifiedAt: last?._nango_metadata.last_modified_at ?? null,
  };
}

/**
 * The payloads as JSON.stringify writes them, with U+0000 removed from the records (and those to hard-delete) when
 * any string or key holds it, as Postgres refuses it in text and jsonb.
 */
function serialise(records: NangoRecord[], toDelete: NangoRecord[]) {
  const json = payloadsJson(records);
  if (!holdsNul(json, records, toDelete)) return { records, toDelete, payloads: jsonbBinary(json), nulRemoved: 0 };
  let nulRemoved = 0;
  const strip = (record: NangoRecord) => {
    const cleaned = stripNul(record);
    nulRemoved += cleaned.removed;
    return cleaned.value;
  };
  const cleaned = records.map(strip);
  return { records: cleaned, toDelete: toDelete.map(strip), payloads: jsonbBinary(payloadsJson(cleaned)), nulRemoved };
}

/**
 * Whether any string or key holds U+0000. JSON.stringify writes it as `\u0000` and never raw, so one scan of
 * the page's text clears the usual page; of the metadata only the cursor is free text; records to hard-delete
 * are few. Rare: only then are records copied.
 */
function holdsNul(json: string, records: ReadonlyArray<NangoRecord>, toDelete: ReadonlyArray<NangoRecord>): boolean {
  if (json.includes('\\u0000') && containsNul(json)) return true;
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

function checkValues(records: ReadonlyArray<NangoRecord>, layout: TableLayout) {
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
  return { badColumns, badById, valueErrors, keptWithErrors };
}
