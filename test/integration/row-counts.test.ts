import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { deleteUnseenRows } from '../../src/write/delete-unseen-rows.js';
import { liveRowsOf, totalRowsOf } from '../../src/store/stream-row-counts.js';
import { seedTickets, TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('per-stream row counters', () => {
  const f = useReplicationFixture('row_counts');

  /** The counters as the views read them, and count(*) of the model table. */
  async function counts(): Promise<{ counter: { live: number; total: number }; counted: { live: number; total: number } }> {
    const counter = await f.db
      .selectFrom('nango_replicator.streams as s')
      .select([liveRowsOf('s').as('live'), totalRowsOf('s').as('total')])
      .where('provider_config_key', '=', PCK)
      .where('connection_id', '=', CONN)
      .where('model', '=', MODEL)
      .executeTakeFirstOrThrow();
    const { rows } = await sql<{ live: number; total: number }>`
      SELECT count(*) FILTER (WHERE _nango_deleted_at IS NULL)::int AS live, count(*)::int AS total FROM nango.ticket`.execute(f.db);
    return { counter, counted: rows[0] ?? { live: -1, total: -1 } };
  }

  async function assertCounterMatches(expectedLive: number): Promise<void> {
    const { counter, counted } = await counts();
    assert.deepEqual(counter, counted);
    assert.equal(counter.live, expectedLive);
  }

  test('equals count(*) after inserts, updates and soft deletes', async () => {
    seedTickets(f.standIn, 0, 120);
    await f.sync();
    await assertCounterMatches(120);
    seedTickets(f.standIn, 100, 40); // 20 updated, 20 new
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-1' }, { id: 'T-2' }, { id: 'T-3' }]);
    await f.sync();
    await assertCounterMatches(137);
    // The page transaction folded what it wrote: nothing of this stream waits in the deltas.
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.stream_row_deltas`.execute(f.db);
    assert.equal(rows[0]?.n, 0);
  });

  test('equals count(*) with hard deletes, a full re-read and a replace pass', async () => {
    seedTickets(f.standIn, 0, 50);
    await f.sync({ deletes: 'hard' });
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-4' }]);
    await f.sync({ deletes: 'hard' });
    await assertCounterMatches(49);
    f.standIn.store.hardDelete(PCK, CONN, MODEL, ['T-7', 'T-8']);
    const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(f.db);
    // A replace pass notes what it read (unchanged records are not rewritten, so their rows keep their old times).
    await f.sync({ full: true, notesPass: true });
    const started = rows[0]?.now as Date;
    const layout = { schema: 'nango', table: 'ticket', columns: [] };
    await deleteUnseenRows(f.db, {
      layout,
      stream: TICKETS,
      passStartedAt: started,
      deletes: 'soft',
      maxDeleteFraction: 0.5,
      force: false,
    });
    await assertCounterMatches(47);
    await deleteUnseenRows(f.db, {
      layout,
      stream: TICKETS,
      passStartedAt: new Date(),
      deletes: 'hard',
      maxDeleteFraction: 1,
      force: true,
    });
    await assertCounterMatches(0);
  });

  test('the migration initialises the counters from the rows already stored', async () => {
    seedTickets(f.standIn, 0, 30);
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-0' }]);
    await f.sync();
    const migrator = new Migrator({
      db: f.db,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: 'nango_replicator',
    });
    // Back to before 0010 (and 0011, which comes after it).
    const down = await migrator.migrateTo('2026-12-07-0009-adaptive-polling');
    assert.equal(down.error, undefined);
    await sql`INSERT INTO nango.ticket (_nango_provider_config_key, _nango_connection_id, id, _nango_raw, _nango_last_action,
      _nango_first_seen_at, _nango_last_modified_at, _nango_cursor, _nango_synced_at)
      VALUES (${PCK}, ${CONN}, 'by-hand', '{}', 'ADDED', now(), now(), 'c', now())`.execute(f.db);
    const up = await migrator.migrateToLatest();
    assert.equal(up.error, undefined);
    await assertCounterMatches(30);
  });
});
