import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { deleteUnseenRows } from '../../src/write/delete-unseen-rows.js';
import { seedTickets, TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const layout = { schema: 'nango', table: 'ticket', columns: [] };

describe('the end of a replace pass', () => {
  const f = useReplicationFixture('replace_pass');

  /**
   * Replicates 10 tickets, hard-deletes `gone` of them in Nango (no tombstone), and re-reads everything as a replace
   * pass does (noting the ids it reads). The records read are unchanged, so the pass writes no row.
   */
  async function passAfterHardDeletes(gone: string[]): Promise<Date> {
    seedTickets(f.standIn, 0, 10);
    await f.sync();
    f.standIn.store.hardDelete(PCK, CONN, MODEL, gone);
    const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(f.db);
    const pass = await f.sync({ full: true, notesPass: true });
    assert.equal(pass.upserted, 0, 'unchanged records are not written again');
    return rows[0]?.now as Date;
  }

  const params = (passStartedAt: Date, extra: { force?: boolean; deletes?: 'soft' | 'hard' } = {}) => ({
    layout,
    stream: TICKETS,
    passStartedAt,
    deletes: extra.deletes ?? 'soft',
    maxDeleteFraction: 0.5,
    force: extra.force ?? false,
  });

  test('rows Nango dropped without a tombstone are soft-deleted, exactly those', async () => {
    const started = await passAfterHardDeletes(['T-2', 'T-5']);
    const result = await deleteUnseenRows(f.db, params(started));
    assert.deepEqual(result, { refused: false, deleted: 2, liveRows: 10 });
    const rows = await f.rows();
    const deleted = [...rows.values()].filter((r) => r._nango_deleted_at !== null).map((r) => r.id);
    assert.deepEqual(deleted.sort(), ['T-2', 'T-5']);
    assert.equal(rows.get('T-2')?.title, 'Ticket number 2', 'the last known values stay');
  });

  test('a replace pass over unchanged records deletes exactly the rows missing at the source, none it saw, and writes no other row', async () => {
    const started = await passAfterHardDeletes(['T-4']);
    const xmins = async () =>
      new Map(
        (await sql<{ id: string; x: string }>`SELECT id, xmin::text AS x FROM nango.ticket`.execute(f.db)).rows.map((r) => [r.id, r.x]),
      );
    const before = await xmins();
    const result = await deleteUnseenRows(f.db, params(started));
    assert.deepEqual(result, { refused: false, deleted: 1, liveRows: 10 });
    const after = await xmins();
    for (const [id, xmin] of before) if (id !== 'T-4') assert.equal(after.get(id), xmin, `${id} was seen and left alone`);
    assert.notEqual(after.get('T-4'), before.get('T-4'));
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.pass_records`.execute(f.db);
    assert.equal(rows[0]?.n, 0, 'the ids of a finished pass are forgotten');
  });

  test('with deletes: hard the unseen rows are removed', async () => {
    const started = await passAfterHardDeletes(['T-1']);
    const result = await deleteUnseenRows(f.db, params(started, { deletes: 'hard' }));
    assert.equal(result.refused, false);
    assert.equal((await f.rows()).has('T-1'), false);
    assert.equal((await f.rows()).size, 9);
  });

  test('the breaker refuses a mass delete and says how to override it; force goes through', async () => {
    const started = await passAfterHardDeletes(['T-0', 'T-1', 'T-2', 'T-3', 'T-4', 'T-5']);
    const refused = await deleteUnseenRows(f.db, params(started));
    assert.equal(refused.refused, true);
    assert.match(refused.refused ? refused.reason : '', /refused to delete 6 of 10 rows \(60%, above the 50% limit\).*"force": true/);
    assert.equal([...(await f.rows()).values()].filter((r) => r._nango_deleted_at !== null).length, 0, 'nothing was deleted');
    const forced = await deleteUnseenRows(f.db, params(started, { force: true }));
    assert.deepEqual(forced, { refused: false, deleted: 6, liveRows: 10 });
  });
});
