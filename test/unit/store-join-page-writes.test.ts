import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRecordsPage } from '../../src/nango/parse-records-page.js';
import { canJoinAfter, joinPageWrites } from '../../src/write/join-page-writes.js';
import type { TableLayout } from '../../src/store/table-layout.js';
import type { PageWrite } from '../../src/write/page-write.js';
import { compareCursors } from '../../src/nango/stream-cursor.js';
import { planPageWrite } from '../../src/write/write-page.js';

const LAYOUT: TableLayout = { schema: 'nango', table: 'ticket', columns: [{ field: 'points', column: 'points', type: 'bigint' }] };
const STREAM = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket', variant: 'base' };
const cursor = (n: number) =>
  Buffer.from(`2024-03-04T06:59:51.${String(n).padStart(6, '0')}+00:00||15ccc805-64d5-4940-a7e0-45fc704997a1`).toString('base64');
const record = (n: number, extra: { points?: unknown; deleted?: boolean } = {}) => ({
  id: `T-${n}`,
  points: extra.points ?? n,
  _nango_metadata: {
    first_seen_at: '2024-03-04T06:59:51.000000+00:00',
    last_modified_at: `2024-03-04T06:59:51.${String(n).padStart(6, '0')}+00:00`,
    last_action: extra.deleted ? 'DELETED' : 'ADDED',
    deleted_at: extra.deleted ? '2024-03-04T06:59:52.000000+00:00' : null,
    pruned_at: null,
    cursor: cursor(n),
  },
});

/** The write of a page of `elements` (records, or anything Nango might send), planned after `expectedCursor`. */
function write(elements: unknown[], expectedCursor: string | null, deletes: 'soft' | 'hard' = 'soft'): PageWrite {
  const body = Buffer.from(JSON.stringify({ next_cursor: 'more', records: elements }));
  const page = { ...parseRecordsPage(JSON.parse(body.toString())), body };
  return planPageWrite({ stream: STREAM, streamId: '1', runId: '7', layout: LAYOUT, deletes, page, expectedCursor, compareCursors });
}

describe('small pages joined into one write', () => {
  test('the joined write expects the first cursor, stores the last, and keeps each page statements, bad values and dead letters', () => {
    const first = write([record(1), record(2, { points: 'many' })], null);
    const second = write([record(3), { title: 'no id' }, record(4)], first.cursor);
    const joined = joinPageWrites(first, second);

    assert.equal(joined.expectedCursor, null);
    assert.equal(joined.cursor, cursor(4));
    assert.deepEqual([joined.pages, joined.records], [2, 5]);
    assert.deepEqual([...joined.ids].sort(), ['T-1', 'T-2', 'T-3', 'T-4']);
    assert.equal(joined.prepared.statements.length, 2, 'one statement per page, first page first');
    assert.deepEqual(
      joined.prepared.statements.map((s) => s.valueErrors.map((e) => e.record_id)),
      [['T-2'], []],
    );
    assert.equal(joined.prepared.payloadBytes, first.prepared.payloadBytes + second.prepared.payloadBytes);
    assert.equal(joined.prepared.newestModifiedAt, '2024-03-04T06:59:51.000004+00:00');
    assert.deepEqual(
      joined.rejected.map((r) => r.pageCursor),
      [cursor(2)],
      'a dead letter keeps the cursor before its own page',
    );
  });

  test('a write that removes rows takes no page after it; one before it can take it', () => {
    const removing = write([record(1), record(2, { deleted: true })], null, 'hard');
    assert.equal(canJoinAfter(removing), false);
    assert.throws(() => joinPageWrites(removing, write([record(3)], removing.cursor, 'hard')), /without removals/);

    const plain = write([record(1)], null, 'hard');
    assert.equal(canJoinAfter(plain), true, 'deletes: hard, but nothing to remove in this page');
    const joined = joinPageWrites(plain, write([record(2), record(3, { deleted: true })], plain.cursor, 'hard'));
    assert.equal(joined.prepared.hardDeleteCount, 1);
    assert.equal(canJoinAfter(joined), false);
  });

  test('only consecutive writes of one run are joined', () => {
    const first = write([record(1)], null);
    assert.throws(() => joinPageWrites(first, write([record(2)], null)), /consecutive/);
  });
});
