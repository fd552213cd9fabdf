import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { parseRecordsPage } from '../../src/nango/parse-records-page.js';
import { compareCursors, decodeCursor } from '../../src/nango/stream-cursor.js';

const cursor = (ts: string, uuid: string) => Buffer.from(`${ts}||${uuid}`).toString('base64');
const U1 = '15ccc805-64d5-4940-a7e0-45fc704997a1';
const U2 = 'f5ccc805-64d5-4940-a7e0-45fc704997a1';
const meta = (c: string, extra: Record<string, unknown> = {}) => ({
  first_seen_at: '2024-03-04T06:59:51.471441+00:00',
  last_modified_at: '2024-03-04T06:59:51.471441+00:00',
  last_action: 'ADDED',
  deleted_at: null,
  pruned_at: null,
  cursor: c,
  ...extra,
});

describe('records page parsing', () => {
  test('a valid page keeps records as received and ends at the last cursor', () => {
    const c1 = cursor('2024-03-04T06:59:51.471441+00:00', U1);
    const page = parseRecordsPage({ next_cursor: c1, records: [{ id: 'a', title: 'x', _nango_metadata: meta(c1) }] });
    assert.equal(page.records.length, 1);
    assert.equal(page.records[0]?.title, 'x');
    assert.equal(page.endCursor, c1);
    assert.equal(page.nextCursor, c1);
  });

  test('a record without a usable id or metadata is set aside with the path of the problem, not dropped', () => {
    const c1 = cursor('2024-03-04T06:59:51+00:00', U1);
    const page = parseRecordsPage({
      next_cursor: null,
      records: [
        { id: 'ok', _nango_metadata: meta(c1) },
        { id: 7, _nango_metadata: meta(c1) },
        { id: 'b', _nango_metadata: meta(c1, { last_action: 'MOVED' }) },
        { id: 'c', _nango_metadata: meta(c1, { last_modified_at: 'yesterday' }) },
        'not an object',
      ],
    });
    assert.deepEqual(
      page.records.map((r) => r.id),
      ['ok'],
    );
    assert.deepEqual(
      page.rejected.map((r) => r.reason),
      [
        'records[1].id: expected a non-empty string',
        'records[2]._nango_metadata.last_action: expected ADDED, UPDATED or DELETED',
        'records[3]._nango_metadata.last_modified_at: expected a timestamp',
        'records[4]: expected an object',
      ],
    );
    assert.equal(page.endCursor, c1, 'the position moves past rejected records that carry one');
  });

  test('a body that is not a records page is a transient error naming what is wrong', () => {
    for (const [body, problem] of [
      [[], /not a JSON object/],
      [{ next_cursor: 5, records: [] }, /next_cursor/],
      [{ next_cursor: null }, /records: expected an array/],
    ] as const) {
      assert.throws(
        () => parseRecordsPage(body),
        (error: unknown) => {
          assert.ok(error instanceof ReplicatorError);
          assert.equal(error.retry, 'transient');
          assert.match(error.message, problem);
          return true;
        },
      );
    }
  });

  test('an empty page has no end cursor, so the stored one is kept', () => {
    assert.equal(parseRecordsPage({ next_cursor: null, records: [] }).endCursor, null);
  });
});

describe('cursor positions', () => {
  test('a cursor decodes to its timestamp in microseconds and its uuid', () => {
    const decoded = decodeCursor('MjAyNC0wMy0wNFQwNjo1OTo1MS40NzE0NDEtMDU6MDB8fDE1Y2NjODA1LTY0ZDUtNDk0MC1hN2UwLTQ1ZmM3MDQ5OTdhMQ==');
    assert.deepEqual(decoded, { micros: BigInt(Date.parse('2024-03-04T11:59:51.471Z')) * 1000n + 441n, uuid: U1 });
  });

  test('positions compare by instant, whatever the offset, then by uuid', () => {
    const utc = cursor('2024-03-04T11:59:51.5+00:00', U1);
    const sameInstantOtherOffset = cursor('2024-03-04T06:59:51.500000-05:00', U2);
    const later = cursor('2024-03-04T11:59:51.500001+00:00', U1);
    assert.equal(compareCursors(utc, sameInstantOtherOffset), -1, 'tie broken by uuid');
    assert.equal(compareCursors(sameInstantOtherOffset, later), -1);
    assert.equal(compareCursors(later, utc), 1);
    assert.equal(compareCursors(utc, utc), 0);
  });

  test('null and undecodable cursors sort before every real position', () => {
    const real = cursor('2024-03-04T11:59:51+00:00', U1);
    assert.equal(compareCursors(null, real), -1);
    assert.equal(compareCursors(real, Buffer.from('garbage').toString('base64')), 1);
    assert.equal(decodeCursor(Buffer.from('2024-03-04T11:59:51+00:00||not-a-uuid').toString('base64')), null);
    assert.equal(decodeCursor(Buffer.from('a||b||c').toString('base64')), null);
  });
});
