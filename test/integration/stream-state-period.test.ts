import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { createDatabase } from '../../src/store/create-database.js';
import { listStreamStatus } from '../../src/store/list-stream-status.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import { recordStreamPeriods } from '../../src/store/record-stream-periods.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { summarizeStreams } from '../../src/store/summarize-streams.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const MINUTE = 60_000;

describe("a stream's state is judged against its own period", () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;

  before(async () => {
    database = await createTestDatabase('stream_state_period');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  test('15 minutes without a success is lagging every 5 minutes, fresh every hour; 5 hours is fresh daily', async () => {
    const stream = (connectionId: string) => ({ providerConfigKey: 'crm', connectionId, model: 'Deal', variant: 'base' });
    await recordStreamPeriods(db, [
      { stream: stream('five-minutes'), everyMs: 5 * MINUTE },
      { stream: stream('hourly'), everyMs: 60 * MINUTE },
      { stream: stream('daily'), everyMs: 24 * 60 * MINUTE },
      { stream: stream('new'), everyMs: 60 * MINUTE },
    ]);
    await sql`UPDATE nango_replicator.streams SET last_success_at = now() - interval '15 minutes' WHERE connection_id IN ('five-minutes', 'hourly')`.execute(
      db,
    );
    await sql`UPDATE nango_replicator.streams SET last_success_at = now() - interval '5 hours' WHERE connection_id = 'daily'`.execute(db);
    const states = Object.fromEntries((await listStreamStatus(db, {})).map((s) => [s.connectionId, [s.state, s.periodMs]]));
    assert.deepEqual(states, {
      'five-minutes': ['lagging', 5 * MINUTE],
      hourly: ['fresh', 60 * MINUTE],
      daily: ['fresh', 24 * 60 * MINUTE],
      new: ['never', 60 * MINUTE],
    });
    const summary = await summarizeStreams(db);
    assert.deepEqual([summary.total, summary.fresh, summary.lagging, summary.never], [4, 2, 1, 1]);
  });

  test('discovery seeing a stream again with the same period writes nothing; a new period is stored', async () => {
    const deal = { providerConfigKey: 'crm', connectionId: 'hourly', model: 'Deal', variant: 'base' };
    const before = await sql<{ xmin: string }>`SELECT xmin::text FROM nango_replicator.streams WHERE connection_id = 'hourly'`.execute(db);
    await recordStreamPeriods(db, [{ stream: deal, everyMs: 60 * MINUTE }]);
    const same = await sql<{ xmin: string }>`SELECT xmin::text FROM nango_replicator.streams WHERE connection_id = 'hourly'`.execute(db);
    assert.equal(same.rows[0]?.xmin, before.rows[0]?.xmin, 'row not rewritten');
    await recordStreamPeriods(db, [{ stream: deal, everyMs: 2 * MINUTE }]);
    const [hourly] = await listStreamStatus(db, { filter: { connection: 'hourly' } });
    assert.deepEqual([hourly?.periodMs, hourly?.state], [2 * MINUTE, 'lagging']);
  });
});
