import type { NangoRecord, RecordMetadata } from './records-page.js';

const KEY = Buffer.from('"_nango_metadata":');
const NUL_ESCAPE = Buffer.from('\\u0000');
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const COMMA = 0x2c; // ,
const SPACE = 0x20;
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]

/**
 * The payloads of a page without serialising them again: Nango's response bytes turned, in place, into jsonb
 * parameters (version byte 1, then text), each the `records` array of one statement's records, with each record's
 * `"_nango_metadata":{...}` member blanked out with spaces, as is the envelope around the array. A few memory writes
 * per record, where JSON.stringify of a page was the largest cost of the sync process after parsing it
 * (docs/decisions/0007-payloads-are-nangos-bytes.md). The results share `body`'s memory, so the body can no longer be read as the response.
 *
 * `records` and `nextCursor` must be the page parsed from these bytes, every element of `records` a record, in
 * order. `statementStarts` are the indexes (ascending, 1 to records.length - 1) of the records that begin a new
 * statement: the array is split there, in place, into one parameter per statement. Returns null, with `body`
 * untouched (the caller serialises the records instead), unless the blanking is certain to remove exactly the
 * metadata:
 * - the body is `{"next_cursor":...,"records":[...]}` as Nango writes it (docs/nango-api.md 1.3), so the array is found by
 *   position;
 * - the bytes hold exactly one `"_nango_metadata":` per record, so none is nested in a payload nor repeated (a JSON
 *   string cannot hold that byte sequence: its quotes would be escaped), and the k-th is record k's own member;
 * - each member's object is exactly as long as the compact JSON of the parsed metadata (flat, no escapes), which
 *   ties it to its record and says where it ends;
 * - the member has a comma on one side to blank with it (compact JSON, as Nango writes it);
 * - no `\u0000` escape: Postgres refuses U+0000, so such a page is cleaned record by record;
 * - where a statement ends, the record's member is its last (as Nango writes it: `{...payload, "id", "_nango_metadata"}`),
 *   so its closing brace and the comma after the record follow the member: the blanked bytes then take the record's
 *   closing brace, the array's closing bracket and the next parameter's version byte and opening bracket.
 */
export function pageBodyPayloads(
  body: Uint8Array,
  records: ReadonlyArray<NangoRecord>,
  nextCursor: string | null,
  statementStarts: ReadonlyArray<number> = [],
): Buffer[] | null {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const head = Buffer.from(`{"next_cursor":${JSON.stringify(nextCursor)},"records":`);
  const first = head.length; // the array's opening bracket
  const last = bytes.length - 1; // the body's closing brace, after the array's closing bracket
  if (bytes.length < first + 3 || !bytes.subarray(0, first).equals(head) || bytes[first] !== OPEN_BRACKET) return null;
  if (bytes[last] !== CLOSE || bytes[last - 1] !== CLOSE_BRACKET) return null;
  if (bytes.indexOf(NUL_ESCAPE) !== -1) return null;
  const spans = metadataSpans(bytes, records, first);
  if (spans === null) return null;
  // The member blanked with the comma before it, then the record's closing brace, then the comma to the next record.
  const endsAtMember = (k: number) => {
    const [start, end] = [spans[2 * k] as number, spans[2 * k + 1] as number];
    return bytes[start] === COMMA && bytes[end] === CLOSE && bytes[end + 1] === COMMA;
  };
  if (!statementStarts.every((k) => k > 0 && k < records.length && endsAtMember(k - 1))) return null;

  bytes[0] = 1;
  bytes.fill(SPACE, 1, first);
  for (let i = 0; i < spans.length; i += 2) bytes.fill(SPACE, spans[i], spans[i + 1]);
  bytes[last] = SPACE;
  const parameters: Buffer[] = [];
  let from = 0;
  for (const k of statementStarts) {
    const [start, end] = [spans[2 * (k - 1)] as number, spans[2 * (k - 1) + 1] as number];
    bytes[start] = CLOSE;
    bytes[start + 1] = CLOSE_BRACKET;
    parameters.push(bytes.subarray(from, start + 2));
    from = start + 2;
    bytes[from] = 1;
    bytes[from + 1] = OPEN_BRACKET;
    bytes[end] = SPACE;
    bytes[end + 1] = SPACE;
  }
  parameters.push(bytes.subarray(from));
  return parameters;
}

/**
 * Where each record's `"_nango_metadata":{...}` member lies with the comma to blank beside it, as [start, end) pairs,
 * record k's at 2k; null unless every record has exactly one, of the length its parsed metadata gives.
 */
function metadataSpans(bytes: Buffer, records: ReadonlyArray<NangoRecord>, first: number): number[] | null {
  const spans = new Array<number>(records.length * 2);
  let from = first;
  for (let k = 0; k < records.length; k++) {
    const length = compactLength((records[k] as NangoRecord)._nango_metadata);
    const key = length < 0 ? -1 : bytes.indexOf(KEY, from);
    if (key === -1) return null;
    const open = key + KEY.length;
    const close = open + length - 1;
    if (bytes[open] !== OPEN || bytes[close] !== CLOSE) return null;
    let [start, end] = [key, close + 1];
    if (bytes[end] === COMMA) end += 1;
    else if (bytes[start - 1] === COMMA) start -= 1;
    else return null;
    spans[2 * k] = start;
    spans[2 * k + 1] = end;
    from = end;
  }
  return bytes.indexOf(KEY, from) === -1 ? spans : null;
}

/**
 * Bytes of JSON.stringify(meta) for a flat object of strings and nulls without quotes or backslashes, or -1 for
 * any other. (A character JSON writes longer, a control or non-ASCII one, makes the member longer than counted: its
 * end is then not where the check looks for it, or the blanked text is not JSON and the page is written again.)
 */
function compactLength(meta: RecordMetadata): number {
  let length = 1; // {
  for (const key in meta) {
    const value = (meta as unknown as Record<string, unknown>)[key];
    const valueLength = value === null ? 4 : typeof value === 'string' && plain(value) ? value.length + 2 : -1;
    if (valueLength < 0 || !plain(key)) return -1;
    length += key.length + 3 + valueLength + 1; // "key":value, then a comma or the closing brace
  }
  return length === 1 ? 2 : length;
}

function plain(text: string): boolean {
  return text.indexOf('"') === -1 && text.indexOf('\\') === -1;
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
