import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { softDeleteConnectionRows } from '../../src/store/soft-delete-connection-rows.js';
import { deleteUnseenRows } from '../../src/write/delete-unseen-rows.js';
import { TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';
import { makeTicket } from '../helpers/ticket-model.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const VARIANTS = ['base', 'v1', 'v2'] as const;
const streamOf = (variant: string): StreamKey => ({ ...TICKETS, variant });
/** The name Nango stores a variant's records under (REFERENCE 10.2). */
const storedModel = (variant: string) => (variant === 'base' ? MODEL : `${MODEL}::${variant}`);

describe('sync variants: one table per model, one stream per variant', () => {
  const f = useReplicationFixture('sync_variants', {
    reset: async (fixture) => {
      for (const variant of VARIANTS.slice(1)) fixture.standIn.store.hardDelete(PCK, CONN, storedModel(variant));
    },
  });

  /** The same 40 tickets (same ids, same payloads) in the base stream and in both variants, each read to its end. */
  async function replicateAllThree(): Promise<void> {
    const tickets = Array.from({ length: 40 }, (_, n) => makeTicket(n));
    for (const variant of VARIANTS) f.standIn.store.save(PCK, CONN, storedModel(variant), tickets);
    for (const variant of VARIANTS) await f.sync({ stream: streamOf(variant) });
  }

  async function rowsOf(variant: string): Promise<Map<string, { raw: unknown; deleted: boolean }>> {
    const { rows } = await sql<{ id: string; raw: unknown; deleted: boolean }>`
      SELECT id, _nango_raw AS raw, _nango_deleted_at IS NOT NULL AS deleted FROM nango.ticket WHERE _nango_variant = ${variant}`.execute(
      f.db,
    );
    return new Map(rows.map((r) => [r.id, { raw: r.raw, deleted: r.deleted }]));
  }

  async function liveRowsPerStream(): Promise<Record<string, number>> {
    const { rows } = await sql<{ variant: string; live: number }>`
      SELECT s.variant, (s.live_rows + coalesce((SELECT sum(d.live) FROM nango_replicator.stream_row_deltas d WHERE d.stream_id = s.id), 0))::int AS live
      FROM nango_replicator.streams s ORDER BY s.variant`.execute(f.db);
    return Object.fromEntries(rows.map((r) => [r.variant, r.live]));
  }

  test('the base stream and two variants with the same ids end as three exact copies in one table', async () => {
    await replicateAllThree();
    const base = await rowsOf('base');
    assert.equal(base.size, 40);
    for (const variant of ['v1', 'v2']) assert.deepEqual(await rowsOf(variant), base, `${variant} is an exact copy of base`);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango.ticket`.execute(f.db);
    assert.equal(rows[0]?.n, 120, 'one table holds all three streams');
    const streams = await sql<{ variant: string; cursor: string | null }>`
      SELECT variant, cursor FROM nango_replicator.streams ORDER BY variant`.execute(f.db);
    assert.deepEqual(
      streams.rows.map((s) => s.variant),
      ['base', 'v1', 'v2'],
    );
    assert.ok(
      streams.rows.every((s) => s.cursor !== null),
      'each stream keeps a cursor of its own',
    );
    assert.deepEqual(await liveRowsPerStream(), { base: 40, v1: 40, v2: 40 }, 'row counts are per variant');
    // Reading one variant again changes nothing in the others.
    f.standIn.store.update(PCK, CONN, storedModel('v2'), [{ id: 'T-7', title: 'only in v2' }]);
    await f.sync({ stream: streamOf('v2') });
    assert.equal(((await rowsOf('v2')).get('T-7')?.raw as { title: string }).title, 'only in v2');
    assert.deepEqual(await rowsOf('v1'), base);
    assert.deepEqual(await rowsOf('base'), base);
  });

  test("a soft delete in one variant leaves the other variants' rows alone", async () => {
    await replicateAllThree();
    f.standIn.store.delete(PCK, CONN, storedModel('v1'), [{ id: 'T-3' }]);
    for (const variant of VARIANTS) await f.sync({ stream: streamOf(variant) });
    assert.equal((await rowsOf('v1')).get('T-3')?.deleted, true);
    assert.equal((await rowsOf('base')).get('T-3')?.deleted, false);
    assert.equal((await rowsOf('v2')).get('T-3')?.deleted, false);
    assert.deepEqual(await liveRowsPerStream(), { base: 40, v1: 39, v2: 40 });
  });

  test('a replace backfill of one variant deletes nothing of the others', async () => {
    await replicateAllThree();
    // Nango dropped two records of v1 without a tombstone; base and v2 still have them.
    f.standIn.store.hardDelete(PCK, CONN, storedModel('v1'), ['T-1', 'T-2']);
    const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(f.db);
    await f.sync({ stream: streamOf('v1'), full: true, notesPass: true });
    const result = await deleteUnseenRows(f.db, {
      layout: { schema: 'nango', table: 'ticket', columns: [] },
      stream: streamOf('v1'),
      passStartedAt: rows[0]?.now as Date,
      deletes: 'hard',
      maxDeleteFraction: 0.5,
      force: false,
    });
    assert.deepEqual(result, { refused: false, deleted: 2, liveRows: 40 });
    assert.equal((await rowsOf('v1')).size, 38);
    assert.equal((await rowsOf('base')).size, 40);
    assert.equal((await rowsOf('v2')).size, 40);
    const tombstones = await sql<{ variant: string; record_id: string }>`
      SELECT variant, record_id FROM nango_replicator.deleted_rows ORDER BY record_id`.execute(f.db);
    assert.deepEqual(tombstones.rows, [
      { variant: 'v1', record_id: 'T-1' },
      { variant: 'v1', record_id: 'T-2' },
    ]);
    const feed = await sql<{ change: string; id: string; variant: string }>`
      SELECT change, id, variant FROM nango_replicator.changes_since('nango.ticket'::regclass, NULL)
      WHERE change = 'hard_delete' OR (change <> 'watermark' AND id = 'T-1') ORDER BY variant, change`.execute(f.db);
    assert.deepEqual(feed.rows, [
      { change: 'upsert', id: 'T-1', variant: 'base' },
      { change: 'hard_delete', id: 'T-1', variant: 'v1' },
      { change: 'hard_delete', id: 'T-2', variant: 'v1' },
      { change: 'upsert', id: 'T-1', variant: 'v2' },
    ]);
  });

  test('a connection that is gone loses the rows of every variant', async () => {
    await replicateAllThree();
    const marked = await f.db
      .transaction()
      .execute((trx) => softDeleteConnectionRows(trx, { schema: 'nango', providerConfigKey: PCK, connectionId: CONN }));
    assert.equal(marked, 120);
    for (const variant of VARIANTS)
      assert.ok(
        [...(await rowsOf(variant)).values()].every((r) => r.deleted),
        variant,
      );
    assert.deepEqual(await liveRowsPerStream(), { base: 0, v1: 0, v2: 0 });
  });
});
