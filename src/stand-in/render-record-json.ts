import { renderRecord } from './render-record.js';
import type { StoredRecord } from './stored-record.js';

/**
 * `JSON.stringify(renderRecord(row))`, kept on the row and reused while the state it was rendered from is unchanged: a record is rendered once
 * per version however many times it is served, so paging through a large stream costs the stand-in a join of
 * strings rather than a copy and a serialisation of every record (CPU a real Nango spends on its own machines).
 */
export function renderRecordJson(row: StoredRecord): string {
  const cached = row.rendered;
  if (
    cached !== undefined && cached.payload === row.payload && cached.createdAt === row.createdAt && cached.updatedAt === row.updatedAt &&
    cached.deletedAt === row.deletedAt && cached.prunedAt === row.prunedAt
  ) {
    return cached.json;
  }
  const json = JSON.stringify(renderRecord(row));
  row.rendered = { payload: row.payload, createdAt: row.createdAt, updatedAt: row.updatedAt, deletedAt: row.deletedAt, prunedAt: row.prunedAt, json };
  return json;
}

/**
 * The body of a GET /records page, byte for byte `JSON.stringify({ next_cursor, records: rows.map(renderRecord) })`,
 * built from the rows' cached renderings.
 */
export function recordsPageJson(nextCursor: string | null, rows: readonly StoredRecord[]): string {
  const records = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) records[i] = renderRecordJson(rows[i] as StoredRecord);
  return `{"next_cursor":${JSON.stringify(nextCursor)},"records":[${records.join(',')}]}`;
}
