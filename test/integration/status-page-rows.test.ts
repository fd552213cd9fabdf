import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadStatusRows, type StatusRow } from '../../src/status-page/load-status-rows.js';
import { listStreamStatus } from '../../src/store/list-stream-status.js';
import { createReplicationFixture, type ReplicationFixture, seedTickets, TICKETS } from '../helpers/replication-fixture.js';

const ISSUES = { providerConfigKey: 'github', connectionId: 'acme', model: 'Issue', variant: 'base' };
const IDLE = { providerConfigKey: 'github', connectionId: 'globex', model: 'Issue', variant: 'base' };

describe('status rows from the replicator tables', () => {
  let f: ReplicationFixture;
  let rows: StatusRow[];

  before(async () => {
    f = await createReplicationFixture('status_page_rows');
    // A stream replicated for real: 60 records, then one deletion.
    seedTickets(f.standIn, 0, 60);
    await f.sync();
    f.standIn.store.delete(TICKETS.providerConfigKey, TICKETS.connectionId, TICKETS.model, [{ id: 'T-1' }]);
    await f.sync();

    // A stream with history but no table, whose last run failed; and one that never ran.
    const ago = (interval: string) => sql<string>`now() - ${interval}::interval`;
    const issues = await f.db
      .insertInto('nango_replicator.streams')
      .values({
        provider_config_key: ISSUES.providerConfigKey,
        connection_id: ISSUES.connectionId,
        model: ISSUES.model,
        newest_modified_at: ago('3 hours'),
        last_success_at: ago('2 hours'),
        last_error: JSON.stringify({ code: 'nango_unauthorized', message: 'The secret key was refused' }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Raw SQL for the runs: started_at is typed Generated<Timestamp> in replicator-tables.ts, which Kysely's
    // insert type does not accept an expression for.
    const run = (started: string, finished: string, records: number, status = 'succeeded') =>
      sql`INSERT INTO nango_replicator.runs (stream_id, kind, status, started_at, finished_at, records)
          VALUES (${issues.id}, 'sync', ${status}, now() - ${started}::interval, now() - ${finished}::interval, ${records})`.execute(f.db);
    await run('30 hours', '30 hours', 999);
    await run('5 hours 1 minute', '5 hours', 7);
    await run('91 minutes', '90 minutes', 100);
    await run('10 minutes', '9 minutes', 0, 'failed');
    await f.db
      .insertInto('nango_replicator.streams')
      .values({ provider_config_key: IDLE.providerConfigKey, connection_id: IDLE.connectionId, model: IDLE.model })
      .execute();

    rows = await loadStatusRows(f.db);
  });

  after(async () => {
    await f?.close();
  });

  test('one row per stream, ordered by integration, connection and model', () => {
    assert.deepEqual(
      rows.map((r) => r.stream),
      [ISSUES, IDLE, TICKETS],
    );
  });

  test('a replicated stream shows its live rows, its last run and the records of the latest hour', () => {
    const tickets = rows[2]!;
    assert.equal(tickets.rows, 59, 'the deleted record is not counted');
    assert.equal(tickets.lastRun?.status, 'succeeded');
    assert.equal(tickets.lastRun?.records, 1);
    assert.equal(tickets.lastError, null);
    assert.equal(tickets.recordsPerHour.length, 24);
    assert.equal(tickets.recordsPerHour[23], 61);
    assert.ok(tickets.freshnessLagSeconds !== null && tickets.freshnessLagSeconds >= 0 && tickets.freshnessLagSeconds < 60);
    assert.ok(tickets.secondsSinceLastSuccess !== null && tickets.secondsSinceLastSuccess < 60);
  });

  test('a failing stream shows its latest run, its error, its lag and records in the hours they were read', () => {
    const issues = rows[0]!;
    assert.equal(issues.state, 'failing');
    assert.equal(issues.rows, null, 'no table for the model yet');
    assert.equal(issues.lastRun?.status, 'failed');
    assert.deepEqual(issues.lastError, { code: 'nango_unauthorized', message: 'The secret key was refused' });
    assert.ok(Math.abs((issues.freshnessLagSeconds ?? 0) - 3 * 3600) < 60);
    assert.ok(Math.abs((issues.secondsSinceLastSuccess ?? 0) - 2 * 3600) < 60);
    const expected = new Array<number>(24).fill(0);
    expected[22] = 100; // finished 90 minutes ago: the hour before the latest
    expected[18] = 7; // 5 hours ago; the run of 30 hours ago is outside the window
    assert.deepEqual(issues.recordsPerHour, expected);
  });

  test('`status` counts the same rows as the page, and the deleted ones apart', async () => {
    const streams = await listStreamStatus(f.db, { schema: 'nango' });
    const tickets = streams.find((s) => s.model === TICKETS.model);
    assert.deepEqual([tickets?.rows, tickets?.deletedRows], [59, 1]);
    // A model whose table was dropped by hand does not fail the views: they read counters, not the tables.
    await f.db
      .insertInto('nango_replicator.model_tables')
      .values({ table_schema: 'nango', model: 'Dropped', table_name: 'dropped' })
      .execute();
    try {
      const page = await loadStatusRows(f.db);
      assert.equal(page.find((r) => r.stream.model === TICKETS.model)?.rows, 59);
    } finally {
      await f.db.deleteFrom('nango_replicator.model_tables').where('model', '=', 'Dropped').execute();
    }
  });

  test('a stream that never ran has no run, no rows and an empty sparkline', () => {
    const idle = rows[1]!;
    assert.equal(idle.state, 'never');
    assert.equal(idle.lastRun, null);
    assert.equal(idle.lastSuccessAt, null);
    assert.equal(idle.freshnessLagSeconds, null);
    assert.deepEqual(idle.recordsPerHour, new Array<number>(24).fill(0));
  });
});
