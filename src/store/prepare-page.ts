import type { NangoRecord, RecordsPage } from '../nango/nango-record.js';
import { coerceValue } from '../schema/coerce-value.js';
import { containsNul, stripNul } from '../schema/strip-nul.js';
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

/** A page turned into the parameters of its one write transaction. */
export interface PreparedPage {
  /** JSON array of the records to upsert, one per id (the later occurrence wins). */
  upsertJson: string;
  upsertCount: number;
  /** Per upserted record (by index): the columns whose value did not fit, as a JSON object; `{}` if none. */
  badColumnsJson: string;
  /** JSON array of `{id, m}` (m = last_modified_at) to hard-delete; null unless deletes are hard. */
  hardDeleteJson: string | null;
  hardDeleteCount: number;
  valueErrors: ValueError[];
  /** U+0000 characters removed from strings and keys (Postgres refuses them in text and jsonb). */
  nulRemoved: number;
  /** The newest `last_modified_at` in the page, for freshness; null for an empty page. */
  newestModifiedAt: string | null;
}

/**
 * Dedups, cleans and checks one page before it is written. Pure and synchronous; the per-record work is
 * kept to what only Node can do (type checks against the JSON value); extraction and casts happen in SQL.
 */
export function preparePage(page: RecordsPage, layout: TableLayout, deletes: 'soft' | 'hard'): PreparedPage {
  const latest = new Map<string, NangoRecord>();
  for (const record of page.records) latest.set(record.id, record);
  let records = [...latest.values()];
  let upsertJson = JSON.stringify(records);
  let nulRemoved = 0;
  if (containsNul(upsertJson)) {
    records = records.map((record) => {
      const cleaned = stripNul(record);
      nulRemoved += cleaned.removed;
      return cleaned.value;
    });
    upsertJson = JSON.stringify(records);
  }

  const toDelete = deletes === 'hard' ? records.filter((r) => r._nango_metadata.deleted_at !== null) : [];
  if (toDelete.length > 0) {
    records = records.filter((r) => r._nango_metadata.deleted_at === null);
    upsertJson = JSON.stringify(records);
  }

  const { badColumns, valueErrors } = checkValues(records, layout);
  const last = page.records.at(-1);
  return {
    upsertJson,
    upsertCount: records.length,
    badColumnsJson: JSON.stringify(badColumns),
    hardDeleteJson: deletes === 'hard' ? JSON.stringify(toDelete.map((r) => ({ id: r.id, m: r._nango_metadata.last_modified_at }))) : null,
    hardDeleteCount: toDelete.length,
    valueErrors,
    nulRemoved,
    newestModifiedAt: last?._nango_metadata.last_modified_at ?? null,
  };
}

function checkValues(records: ReadonlyArray<NangoRecord>, layout: TableLayout) {
  const badColumns: Record<number, string[]> = {};
  const valueErrors: ValueError[] = [];
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as NangoRecord;
    // A pruned record has no payload: nothing to check, and the stored values are kept.
    if (record._nango_metadata.pruned_at !== null) continue;
    for (const column of layout.columns) {
      if (column.type === 'jsonb') continue;
      const result = coerceValue(column.type, record[column.field]);
      if (result.ok) continue;
      (badColumns[index] ??= []).push(column.column);
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
  return { badColumns, valueErrors };
}
