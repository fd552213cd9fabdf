import assert from 'node:assert/strict';
import type { RecordSnapshot } from '../../stand-in/record-store.js';

/**
 * The replicated table holds exactly what Nango holds: one row per record, the same cursor, the same
 * deleted state, and for live records the same payload in `_nango_raw` and in the typed columns.
 * Deleted and pruned records are checked for their state only: their values are the last ones known.
 */
export function assertMatchesSource(rows: Map<string, Record<string, unknown>>, source: RecordSnapshot[]): void {
  assert.equal(rows.size, source.length, `expected ${source.length} rows, found ${rows.size}`);
  for (const record of source) {
    const row = rows.get(record.id);
    assert.ok(row, `record ${record.id} is missing from the table`);
    assert.equal(row._nango_cursor, record.cursor, `cursor of ${record.id}`);
    assert.equal(row._nango_deleted_at !== null, record.deletedAt !== null, `deleted state of ${record.id}`);
    assert.equal(row._nango_last_action, record.lastAction, `last action of ${record.id}`);
    if (record.deletedAt !== null || record.prunedAt !== null) continue;
    const payload = record.payload as Record<string, unknown>;
    assert.deepEqual(row._nango_raw, { ...payload, id: record.id }, `payload of ${record.id}`);
    assert.equal(row.title, payload.title, `title of ${record.id}`);
    assert.equal(row.points, String(payload.points), `points of ${record.id}`);
    assert.equal((row.due_at as Date).toISOString(), payload.dueAt, `dueAt of ${record.id}`);
  }
}
