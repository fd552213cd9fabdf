import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { seedTickets, useReplicationFixture } from '../helpers/replication-fixture.js';

const CHANGED = 'table fillfactor changed';

describe('the fillfactor of model tables', () => {
  const f = useReplicationFixture('table_fillfactor');

  /** `pg_class.reloptions` of the Ticket table: null when no storage parameter is set. */
  async function reloptions(): Promise<string[] | null> {
    const { rows } = await sql<{ reloptions: string[] | null }>`
      SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'nango' AND c.relname = 'ticket'
    `.execute(f.db);
    assert.equal(rows.length, 1, 'the table exists');
    return rows[0]?.reloptions ?? null;
  }

  const changes = () =>
    f
      .logText()
      .split('\n')
      .filter((line) => line.includes(CHANGED));

  test("at the default (100) a table is created without storage parameters, as Postgres' own default", async () => {
    seedTickets(f.standIn, 0, 5);
    await f.sync({ fillfactor: 100 });
    await f.sync({ fillfactor: 100 });
    assert.equal(await reloptions(), null);
    assert.deepEqual(changes(), []);
  });

  test('a table created with a fillfactor has it in pg_class.reloptions', async () => {
    seedTickets(f.standIn, 0, 5);
    await f.sync({ fillfactor: 50 });
    assert.deepEqual(await reloptions(), ['fillfactor=50']);
    assert.equal((await f.rows()).size, 5);
  });

  test('changing the setting alters an existing table once, and back to 100 removes the parameter', async () => {
    seedTickets(f.standIn, 0, 5);
    await f.sync({ fillfactor: 100 });
    const before = changes().length;

    await f.sync({ fillfactor: 70 });
    assert.deepEqual(await reloptions(), ['fillfactor=70']);
    const altered = changes().slice(before);
    assert.equal(altered.length, 1);
    assert.match(altered[0] ?? '', /only to pages written from now on/);
    assert.match(altered[0] ?? '', /"fillfactor":70,"previousFillfactor":100/);

    await f.sync({ fillfactor: 70 });
    assert.equal(changes().length, before + 1, 'an unchanged setting does not alter the table again');

    await f.sync({ fillfactor: 100 });
    assert.equal(await reloptions(), null);
    assert.equal(changes().length, before + 2);
    assert.equal((await f.rows()).size, 5);
  });
});
