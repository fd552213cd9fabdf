import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { RecordStore } from '../../stand-in/record-store.js';

const PCK = 'github';
const CONN = 'acme';
const MODEL = 'Issue';

describe('RecordStore', () => {
  let nowMs: number;
  let store: RecordStore;

  beforeEach(() => {
    nowMs = Date.UTC(2026, 5, 1, 12);
    store = new RecordStore({ now: () => nowMs });
    store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
  });

  const snap = () => store.snapshot(PCK, CONN, MODEL);
  const byId = (id: string) => snap().find((r) => r.id === id);

  it('gives every row of one save the same updated_at, later than any earlier stamp', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1 }, { id: 2 }]);
    store.save(PCK, CONN, MODEL, [{ id: 3 }]);
    const [a, b, c] = [byId('1')!, byId('2')!, byId('3')!];
    assert.equal(a.updatedAt, b.updatedAt);
    assert.equal(a.updatedAt, '2026-06-01T12:00:00.000001+00:00');
    assert.equal(c.updatedAt, '2026-06-01T12:00:00.000002+00:00');
    assert.deepEqual(
      snap().map((r) => r.lastAction),
      ['ADDED', 'ADDED', 'ADDED'],
    );
  });

  it('stores the id as a string without NUL bytes', () => {
    store.save(PCK, CONN, MODEL, [{ id: 'a\u0000b' }, { id: 7 }]);
    assert.deepEqual(
      snap()
        .map((r) => r.id)
        .sort(),
      ['7', 'ab'],
    );
    assert.throws(() => store.save(PCK, CONN, MODEL, [{ id: 'x'.repeat(256) }]), /255/);
    assert.throws(() => store.save(PCK, CONN, MODEL, [{ name: 'no id' }]), /Missing id/);
    assert.throws(() => store.save(PCK, CONN, MODEL, [{ id: 0 }]), /Missing id/, 'Nango rejects a falsy id');
  });

  it('leaves an identical payload untouched and bumps a changed one to UPDATED', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1, title: 'a', tags: { x: 1, y: 2 } }]);
    const before = byId('1')!;
    nowMs += 1000;
    const same = store.save(PCK, CONN, MODEL, [{ tags: { y: 2, x: 1 }, title: 'a', id: 1 }]);
    assert.deepEqual(same.unchanged, ['1']);
    assert.deepEqual(byId('1'), before);
    const changed = store.save(PCK, CONN, MODEL, [{ id: 1, title: 'b' }]);
    assert.deepEqual(changed.updated, ['1']);
    assert.equal(byId('1')!.lastAction, 'UPDATED');
    assert.equal(byId('1')!.createdAt, before.createdAt);
    assert.ok(byId('1')!.updatedAt > before.updatedAt);
  });

  it('deep-merges updates and bumps only when the merged payload changed', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1, user: { login: 'a', site_admin: false } }]);
    const before = byId('1')!;
    store.update(PCK, CONN, MODEL, [
      { id: 1, user: { login: 'a' } },
      { id: 99, ignored: true },
    ]);
    assert.deepEqual(byId('1'), before);
    assert.equal(byId('99'), undefined);
    store.update(PCK, CONN, MODEL, [{ id: 1, user: { site_admin: true } }]);
    assert.deepEqual(byId('1')!.payload, { id: 1, user: { login: 'a', site_admin: true } });
    assert.equal(byId('1')!.lastAction, 'UPDATED');
  });

  it('a delete replaces the payload with what was passed and takes deletedAt when given', () => {
    store.save(PCK, CONN, MODEL, [
      { id: 1, title: 'x' },
      { id: 2, title: 'y' },
    ]);
    store.delete(PCK, CONN, MODEL, [{ id: 1 }, { id: 2, deletedAt: '2026-05-31T00:00:00.000Z' }]);
    assert.deepEqual(byId('1')!.payload, { id: 1 });
    assert.equal(byId('1')!.deletedAt, byId('1')!.updatedAt);
    assert.equal(byId('2')!.deletedAt, '2026-05-31T00:00:00+00:00');
    assert.deepEqual(
      snap().map((r) => r.lastAction),
      ['DELETED', 'DELETED'],
    );
  });

  it('saving a deleted id again shows ADDED with a new first_seen_at', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1, title: 'x' }]);
    const first = byId('1')!;
    store.delete(PCK, CONN, MODEL, [{ id: 1 }]);
    store.save(PCK, CONN, MODEL, [{ id: 1, title: 'x' }]);
    const again = byId('1')!;
    assert.equal(again.lastAction, 'ADDED');
    assert.equal(again.deletedAt, null);
    assert.equal(again.createdAt, again.updatedAt);
    assert.ok(again.createdAt > first.createdAt);
  });

  it('prune empties the payload without moving the record, and an identical save restores it silently', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1, title: 'x' }]);
    store.save(PCK, CONN, MODEL, [{ id: 2, title: 'y' }]);
    const before = snap();
    store.prune(PCK, CONN, MODEL, ['1']);
    const pruned = byId('1')!;
    assert.deepEqual(pruned.payload, {});
    assert.notEqual(pruned.prunedAt, null);
    assert.equal(pruned.updatedAt, before[0]!.updatedAt);
    assert.equal(pruned.cursor, before[0]!.cursor);
    store.save(PCK, CONN, MODEL, [{ id: 1, title: 'x' }]);
    assert.deepEqual(snap(), before);
  });

  it('hard delete removes rows without tombstones', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.equal(store.hardDelete(PCK, CONN, MODEL, ['2']), 1);
    assert.deepEqual(
      snap()
        .map((r) => r.id)
        .sort(),
      ['1', '3'],
    );
    assert.equal(store.hardDelete(PCK, CONN, MODEL), 2);
    assert.deepEqual(snap(), []);
  });

  it('keeps the first of duplicate ids in one batch', () => {
    store.save(PCK, CONN, MODEL, [
      { id: 1, v: 'first' },
      { id: 1, v: 'second' },
    ]);
    assert.deepEqual(byId('1')!.payload, { id: 1, v: 'first' });
  });

  it('orders the snapshot by (updated_at, internal uuid)', () => {
    store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 20 }, (_, i) => ({ id: i + 1 })),
    );
    const order = snap().map((r) => Buffer.from(r.cursor, 'base64').toString().split('||')[1]!);
    assert.deepEqual(order, [...order].sort());
  });

  it('removing a connection forgets its records', () => {
    store.save(PCK, CONN, MODEL, [{ id: 1 }]);
    assert.equal(store.removeConnection(PCK, CONN), true);
    assert.equal(store.findConnection(PCK, CONN), undefined);
    store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    assert.deepEqual(snap(), []);
  });
});
