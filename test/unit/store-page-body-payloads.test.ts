import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NangoRecord } from '../../src/write/records-page.js';
import { parseRecordsPage } from '../../src/nango/parse-records-page.js';
import { pageBodyPayloads, restringified } from '../../src/write/page-body-payloads.js';

const cursor = (n: number) =>
  Buffer.from(`2024-03-04T06:59:51.${String(n).padStart(6, '0')}+00:00||15ccc805-64d5-4940-a7e0-45fc704997a1`).toString('base64');
const meta = (n: number, extra: Record<string, unknown> = {}) => ({
  first_seen_at: '2024-03-04T06:59:51.471441+00:00',
  last_modified_at: '2024-03-04T06:59:51.471441+00:00',
  last_action: 'ADDED',
  deleted_at: null,
  pruned_at: null,
  cursor: cursor(n),
  ...extra,
});

/** The page as Nango writes it (JSON.stringify, next_cursor first) and as the replicator parses it. */
function page(records: unknown[], nextCursor: string | null = null, text?: string) {
  const body = Buffer.from(text ?? JSON.stringify({ next_cursor: nextCursor, records }));
  const parsed = parseRecordsPage(JSON.parse(body.toString()));
  return { body, parsed };
}

/** What JSON.stringify writes for the payloads: the records without `_nango_metadata`. */
function stringified(records: ReadonlyArray<NangoRecord>): string {
  return JSON.stringify(records.map(({ _nango_metadata, ...payload }) => payload));
}

/**
 * The text of each parameter without the blanks (spaces outside JSON strings), split before the records at
 * `starts`; null when refused, and a refused body is untouched.
 */
function cutInto(p: ReturnType<typeof page>, starts: number[]): string[] | null {
  const before = Buffer.from(p.body);
  const out = pageBodyPayloads(p.body, p.parsed.records, p.parsed.nextCursor, starts);
  if (out === null) {
    assert.deepEqual(p.body, before, 'a refused body is left as it was');
    return null;
  }
  assert.equal(out.length, starts.length + 1, 'one parameter per statement');
  for (const parameter of out) assert.equal(parameter[0], 1, 'jsonb binary format version');
  return out.map((parameter) => withoutBlanks(parameter.toString('utf8', 1)));
}

/** The text of the one parameter of an unsplit page, as {@link cutInto}. */
function cut(p: ReturnType<typeof page>): string | null {
  return cutInto(p, [])?.[0] ?? null;
}

function withoutBlanks(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString && c === '\\') {
      out += c + text[++i];
      continue;
    }
    if (c === '"') inString = !inString;
    if (inString || c !== ' ') out += c;
  }
  return out;
}

describe('payloads cut out of the response bytes', () => {
  test('byte for byte what JSON.stringify writes, wherever the metadata sits in the record', () => {
    const p = page(
      [
        { id: 'a', title: 'first', _nango_metadata: meta(1) },
        { _nango_metadata: meta(2), id: 'b', nested: { list: [1, { x: '}' }], s: '"_nango_metadata":' } },
        { id: 'c', _nango_metadata: meta(3), tail: 'é ✓ \\ " \n' },
      ],
      cursor(3),
    );
    assert.equal(cut(p), stringified(p.parsed.records));
  });

  test('an empty page is an empty array', () => {
    assert.equal(cut(page([])), '[]');
  });

  test('keeps the numbers as Nango wrote them; JSON.stringify text is what the retry sends', () => {
    const text = `{"next_cursor":null,"records":[{"id":"a","n":5.0,"x":1e-400,"_nango_metadata":${JSON.stringify(meta(1))}}]}`;
    const p = page([], null, text);
    assert.equal(cut(p), '[{"id":"a","n":5.0,"x":1e-400}]');
    const retried = restringified(p.body);
    assert.equal(retried.toString('utf8', 1), '[{"id":"a","n":5,"x":0}]');
  });

  test('refuses (the caller serialises instead) whenever the cut could take the wrong bytes', () => {
    const cases: Record<string, ReturnType<typeof page>> = {
      'a payload holding a nested _nango_metadata key': page([{ id: 'a', inner: { _nango_metadata: { a: 1 } }, _nango_metadata: meta(1) }]),
      'a quote in a metadata value': page([{ id: 'a', _nango_metadata: meta(1, { extra: 'x"' }) }]),
      'a control character in a metadata value': page([{ id: 'a', _nango_metadata: meta(1, { extra: 'x\n' }) }]),
      'a non-ASCII metadata value': page([{ id: 'a', _nango_metadata: meta(1, { extra: 'é' }) }]),
      'a nested object in the metadata': page([{ id: 'a', _nango_metadata: meta(1, { extra: { y: 1 } }) }]),
      'a U+0000 escape': page([{ id: 'a', s: 'a\u0000b', _nango_metadata: meta(1) }]),
      'records before next_cursor': page(
        [],
        null,
        `{"records":[{"id":"a","_nango_metadata":${JSON.stringify(meta(1))}}],"next_cursor":null}`,
      ),
      'whitespace in the body': page(
        [],
        null,
        JSON.stringify({ next_cursor: null, records: [{ id: 'a', _nango_metadata: meta(1) }] }, null, 1),
      ),
      'a metadata member alone in its record': page(
        [],
        null,
        `{"next_cursor":null,"records":[{"_nango_metadata":${JSON.stringify({ ...meta(1) })}}]}`,
      ),
    };
    for (const [what, p] of Object.entries(cases)) assert.equal(cut(p), null, what);
  });

  test('refuses when the records are not those the bytes were parsed into', () => {
    const p = page([
      { id: 'a', _nango_metadata: meta(1) },
      { id: 'b', _nango_metadata: meta(2) },
    ]);
    const longer = { id: 'a', _nango_metadata: { ...meta(1), cursor: `${cursor(1)}xx` } } as NangoRecord;
    assert.equal(pageBodyPayloads(p.body, [longer, p.parsed.records[1] as NangoRecord], null), null, 'a metadata of another length');
    assert.equal(pageBodyPayloads(p.body, p.parsed.records, null, [2]), null, 'a statement starting past the last record');
    assert.equal(pageBodyPayloads(p.body, p.parsed.records.slice(0, 1), null), null, 'a record fewer');
    assert.equal(pageBodyPayloads(p.body, [...p.parsed.records, p.parsed.records[0] as NangoRecord], null), null, 'a record more');
  });

  test('split into one parameter per statement, each what JSON.stringify writes for its records', () => {
    const records = Array.from({ length: 7 }, (_, n) => ({ id: `r${n}`, text: n === 3 ? '}],"x":[{' : 'ok', _nango_metadata: meta(n) }));
    const p = page(records, cursor(6));
    const texts = cutInto(p, [2, 3, 6]);
    const slices = [
      [0, 2],
      [2, 3],
      [3, 6],
      [6, 7],
    ].map(([from, to]) => stringified(p.parsed.records.slice(from, to)));
    assert.deepEqual(texts, slices);
    for (const text of texts ?? []) assert.doesNotThrow(() => JSON.parse(text));
  });

  test('refuses a split after a record whose metadata is not its last member (the caller serialises instead)', () => {
    const p = page([
      { id: 'a', _nango_metadata: meta(1) },
      { _nango_metadata: meta(2), id: 'b' },
      { id: 'c', _nango_metadata: meta(3) },
    ]);
    assert.equal(cutInto(p, [2]), null);
    assert.equal(cutInto(p, [0]), null, 'a statement cannot start before the first record');
    assert.deepEqual(cutInto(p, [1]), [stringified(p.parsed.records.slice(0, 1)), stringified(p.parsed.records.slice(1))]);
  });

  test('a } inside a metadata value is part of the member, not its end', () => {
    const p = page([
      { id: 'a', _nango_metadata: meta(1, { extra: 'x}' }) },
      { id: 'b', _nango_metadata: meta(2) },
    ]);
    assert.equal(cut(p), stringified(p.parsed.records));
  });
});
