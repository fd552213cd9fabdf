import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('two pages in flight', () => {
  const f = useReplicationFixture('pipelined_commits', {
    reset: async ({ db }) => void (await sql`DROP FUNCTION IF EXISTS nango.slow_first() CASCADE`.execute(db)),
  });

  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);

  /** Makes the insert of `id` wait `seconds`, then fail if `fail`: the first page is slow, the second races ahead. */
  async function slowDown(id: string, seconds: number, fail: boolean) {
    await f.sync({ pageSize: 1000, maxPages: 1 }); // creates the table
    await sql`TRUNCATE nango.ticket`.execute(f.db);
    await sql`UPDATE nango_replicator.streams SET cursor = NULL`.execute(f.db);
    const raise = fail ? sql.raw(`RAISE EXCEPTION 'injected failure';`) : sql.raw('');
    await sql`
      CREATE FUNCTION nango.slow_first() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id = ${sql.lit(id)} THEN PERFORM pg_sleep(${sql.lit(seconds)}); ${raise} END IF; RETURN NEW; END $$;
      CREATE TRIGGER slow_first BEFORE INSERT ON nango.ticket FOR EACH ROW EXECUTE FUNCTION nango.slow_first();
    `.execute(f.db);
  }

  /** What is committed at one instant: the stored cursor and the ids in the table. */
  async function committed(): Promise<{ cursor: string | null; ids: string[] }> {
    const { rows } = await sql<{ cursor: string | null; ids: string[] | null }>`
      SELECT (SELECT cursor FROM nango_replicator.streams) AS cursor, (SELECT array_agg(id) FROM nango.ticket) AS ids`.execute(f.db);
    return { cursor: rows[0]?.cursor ?? null, ids: rows[0]?.ids ?? [] };
  }

  test('a later page never commits before an earlier one: the table always holds exactly the pages up to the cursor', async () => {
    seedTickets(f.standIn, 0, 100);
    const order = source();
    await slowDown(order[0]?.id as string, 0.4, false);
    const observations: { cursor: string | null; ids: string[] }[] = [];
    let done = false;
    const sync = f.sync({ pageSize: 25 }).finally(() => (done = true));
    for (let i = 0; i < 2000 && !done; i++) observations.push(await committed()); // bounded: ~5 ms each
    await sync;
    observations.push(await committed());
    assert.ok(
      observations.some((o) => o.ids.length === 0) && observations.some((o) => o.ids.length > 0),
      'the run was observed while it committed',
    );
    for (const o of observations) {
      const upTo = o.cursor === null ? 0 : order.findIndex((r) => r.cursor === o.cursor) + 1;
      assert.deepEqual(
        [...o.ids].sort(),
        order
          .slice(0, upTo)
          .map((r) => r.id)
          .sort(),
        `rows committed with cursor ${o.cursor}`,
      );
    }
    assertMatchesSource(await f.rows(), source());
  });

  test('when an earlier page fails, the later page already written rolls back with it', async () => {
    seedTickets(f.standIn, 0, 100);
    await slowDown(source()[0]?.id as string, 0.4, true);
    await assert.rejects(f.sync({ pageSize: 25 }), /injected failure/);
    assert.deepEqual(await committed(), { cursor: null, ids: [] });
    const stream = await f.db.selectFrom('nango_replicator.streams').select('last_error').executeTakeFirstOrThrow();
    assert.match(JSON.stringify(stream.last_error), /injected failure/);
  });

  test('two runs of one stream with different page sizes both end, and the next run makes the table exact', async () => {
    seedTickets(f.standIn, 0, 300);
    f.standIn.faults.delayNext(3, 100, { pathPrefix: '/records' });
    const runs = await Promise.allSettled([f.sync({ pageSize: 25 }), f.sync({ pageSize: 40 })]);
    for (const run of runs) {
      if (run.status === 'rejected') assert.match(String((run.reason as Error).message), /Another run moved the cursor|deadlock detected/);
    }
    await f.sync({ pageSize: 50 });
    assertMatchesSource(await f.rows(), source());
  });
});
