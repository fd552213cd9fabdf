import type { NangoRecord, RecordMetadata } from '../nango/nango-record.js';

const KEY = Buffer.from('"_nango_metadata":');
const NUL_ESCAPE = Buffer.from('\\u0000');
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const COMMA = 0x2c; // ,
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]

/**
 * The payloads of a page without serialising them again: the `records` array of Nango's response bytes with each
 * record's `"_nango_metadata":{...}` member cut out, as a jsonb parameter (version byte 1, then the JSON array).
 * Only memory copies: JSON.stringify of a page is the largest single cost of the sync process after parsing it
 * (see docs/performance.md).
 *
 * `records` and `nextCursor` must be the page parsed from these bytes, every element of `records` a record, in
 * order. Returns null (the caller serialises the records instead) unless the cut is certain to remove exactly the
 * metadata:
 * - the body is `{"next_cursor":...,"records":[...]}` as Nango writes it (REFERENCE 1.3), so the array is found by
 *   position;
 * - the bytes hold exactly one `"_nango_metadata":` per record, so none is nested in a payload nor repeated (a JSON
 *   string cannot hold that byte sequence: its quotes would be escaped), and the k-th is record k's own member;
 * - every metadata object is flat, no key or value holding `}`, so its first `}` closes it; the record's cursor
 *   lies within it, which ties the member cut to the parsed record;
 * - the member has a comma on one side to take with it (compact JSON, as Nango writes it);
 * - no `\u0000` escape: Postgres refuses U+0000, so such a page is cleaned record by record.
 */
export function pageBodyPayloads(body: Uint8Array, records: ReadonlyArray<NangoRecord>, nextCursor: string | null): Buffer | null {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const head = `{"next_cursor":${JSON.stringify(nextCursor)},"records":`;
  const first = Buffer.byteLength(head);
  const last = bytes.length - 1; // the array's closing bracket, before the body's closing brace
  if (bytes.length < first + 3 || !bytes.subarray(0, first).equals(Buffer.from(head)) || bytes[first] !== OPEN_BRACKET) return null;
  if (bytes[last] !== CLOSE || bytes[last - 1] !== CLOSE_BRACKET) return null;
  if (bytes.indexOf(NUL_ESCAPE) !== -1) return null;
  const cuts = new Array<number>(records.length * 2);
  let removed = 0;
  let from = first;
  for (let k = 0; k < records.length; k++) {
    const meta = (records[k] as NangoRecord)._nango_metadata;
    if (!isFlat(meta)) return null;
    const key = bytes.indexOf(KEY, from);
    const open = key + KEY.length;
    if (key === -1 || bytes[open] !== OPEN) return null;
    const close = bytes.indexOf(CLOSE, open);
    const cursor = bytes.indexOf(meta.cursor, open, 'utf8');
    if (close === -1 || cursor === -1 || cursor > close) return null;
    let [start, end] = [key, close + 1];
    if (bytes[end] === COMMA) end += 1;
    else if (bytes[start - 1] === COMMA) start -= 1;
    else return null;
    cuts[2 * k] = start;
    cuts[2 * k + 1] = end;
    removed += end - start;
    from = end;
  }
  if (bytes.indexOf(KEY, from) !== -1) return null;

  const out = Buffer.allocUnsafe(1 + last - first - removed);
  out[0] = 1;
  let written = 1;
  let kept = first;
  for (let i = 0; i < cuts.length; i += 2) {
    written += bytes.copy(out, written, kept, cuts[i]);
    kept = cuts[i + 1] as number;
  }
  bytes.copy(out, written, kept, last);
  return out;
}

/** Keys and values without `}`, values strings or null: the metadata object ends at its first `}`. */
function isFlat(meta: RecordMetadata): boolean {
  for (const key in meta) {
    const value = (meta as unknown as Record<string, unknown>)[key];
    if (key.includes('}')) return false;
    if (value === null) continue;
    if (typeof value !== 'string' || value.includes('}')) return false;
  }
  return true;
}

/**
 * {@link pageBodyPayloads}' result as JSON.stringify writes it, for the rare page whose original text Postgres
 * refuses where JSON.stringify's would do (a number too small for a double, say): what the page would have sent
 * without the shortcut.
 */
export function restringified(payloads: Buffer): Buffer {
  return jsonbBinary(JSON.stringify(JSON.parse(payloads.toString('utf8', 1))));
}

/** `text` as a jsonb parameter in binary format: version 1, then the JSON as UTF-8. */
export function jsonbBinary(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(text, 'utf8'));
  bytes[0] = 1;
  bytes.write(text, 1, 'utf8');
  return bytes;
}
