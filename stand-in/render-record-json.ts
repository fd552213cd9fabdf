import { renderRecord } from './render-record.js';
import type { StoredRecord } from './stored-record.js';

/**
 * `JSON.stringify(renderRecord(row))` as UTF-8, kept on the row and reused while the state it was rendered from is
 * unchanged: a record is rendered once per version however many times it is served, so paging through a large
 * stream costs the stand-in a copy of bytes rather than a serialisation and an encoding of every record (CPU a real
 * Nango spends on its own machines; the bytes stay out of the stand-in's JavaScript heap).
 */
export function renderRecordJson(row: StoredRecord): Buffer {
  const cached = row.rendered;
  if (
    cached !== undefined &&
    cached.payload === row.payload &&
    cached.createdAt === row.createdAt &&
    cached.updatedAt === row.updatedAt &&
    cached.deletedAt === row.deletedAt &&
    cached.prunedAt === row.prunedAt
  ) {
    return cached.json;
  }
  const json = Buffer.from(JSON.stringify(renderRecord(row)));
  row.rendered = {
    payload: row.payload,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deletedAt: row.deletedAt,
    prunedAt: row.prunedAt,
    json,
  };
  return json;
}

/**
 * The body of a GET /records page, byte for byte `JSON.stringify({ next_cursor, records: rows.map(renderRecord) })`
 * as UTF-8, built from the rows' cached renderings.
 */
export function recordsPageJson(nextCursor: string | null, rows: readonly StoredRecord[]): Buffer {
  const head = Buffer.from(`{"next_cursor":${JSON.stringify(nextCursor)},"records":[`);
  const records = new Array<Buffer>(rows.length);
  let length = head.length + Math.max(0, rows.length - 1) + 2;
  for (let i = 0; i < rows.length; i++) {
    records[i] = renderRecordJson(rows[i] as StoredRecord);
    length += (records[i] as Buffer).length;
  }
  const body = Buffer.allocUnsafe(length);
  let at = head.copy(body, 0);
  for (let i = 0; i < records.length; i++) {
    if (i > 0) at = body.writeUInt8(COMMA, at);
    at += (records[i] as Buffer).copy(body, at);
  }
  body.write(']}', at, 'latin1');
  return body;
}

const COMMA = 0x2c;
