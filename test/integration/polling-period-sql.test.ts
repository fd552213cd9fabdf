import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import { budgetLimitedSql, effectivePeriodSql } from '../../src/store/polling-period-sql.js';
import { pollingPlan } from '../../src/store/polling-plan.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { requestsSavedPerMinute } from '../../src/store/requests-saved-per-minute.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const MIN = 60_000;
/** [every, safety net, backed-off period (null: every)], in minutes; integration `late` has its webhooks missing. */
const CASES: Array<[number, number, number | null]> = [
  [5, 360, null],
  [5, 360, 40],
  [5, 360, 360],
  [25, 360, 360], // a safety net that is no whole number of ticks
  [60, 30, null], // a safety net below every
  [1, 60, 7],
];

describe('the polling rule in SQL (status summaries) agrees with pollingPlan (status rows, ticks)', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;

  before(async () => {
    database = await createTestDatabase('polling_period_sql');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    for (const integration of ['crm', 'late']) {
      for (const [index, [every, safety, period]] of CASES.entries()) {
        await sql`INSERT INTO nango_replicator.streams (provider_config_key, connection_id, model, poll_every_ms, safety_net_ms, poll_period_ms)
          VALUES (${integration}, ${`c-${index}`}, 'Contact', ${every * MIN}, ${safety * MIN}, ${period === null ? null : period * MIN})`.execute(
          db,
        );
      }
    }
    await sql`INSERT INTO nango_replicator.streams (provider_config_key, connection_id, model) VALUES ('crm', 'unread', 'Contact')`.execute(
      db,
    );
    await sql`INSERT INTO nango_replicator.polling_integrations (provider_config_key, webhooks_missing_since) VALUES ('late', now())`.execute(
      db,
    );
  });

  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  for (const stretch of [1, 1.5, 3]) {
    test(`at a budget stretch of ${stretch}`, async () => {
      await sql`INSERT INTO nango_replicator.fleet_schedule (id, budget_per_minute, demand_per_minute, needed_per_minute, stretch)
        VALUES (1, 100, 100, 100, ${stretch}) ON CONFLICT (id) DO UPDATE SET stretch = ${stretch}`.execute(db);
      const { rows } = await sql<{ c: string; i: string; effective: number; limited: boolean }>`
        SELECT s.connection_id AS c, s.provider_config_key AS i, ${effectivePeriodSql}::float8 AS effective, ${budgetLimitedSql} AS limited
        FROM nango_replicator.streams s
        LEFT JOIN nango_replicator.polling_integrations i ON i.provider_config_key = s.provider_config_key
        WHERE s.poll_every_ms IS NOT NULL`.execute(db);
      assert.equal(rows.length, 2 * CASES.length);
      let saved = 0;
      for (const row of rows) {
        const [every, safety, period] = CASES[Number(row.c.slice(2))] ?? [0, 0, null];
        const plan = pollingPlan({
          everyMs: every * MIN,
          safetyNetMs: safety * MIN,
          periodMs: period === null ? null : period * MIN,
          emptyReads: 3,
          lastReadAt: null,
          readRequestedAt: null,
          webhooksMissing: row.i === 'late',
          stretch,
        });
        const what = `${row.i}/${row.c} every ${every}m`;
        assert.equal(row.effective, plan.effectivePeriodMs, what);
        assert.equal(row.limited, /budget-limited/.test(plan.reason ?? ''), what);
        saved += 60_000 / (every * MIN) - 60_000 / plan.effectivePeriodMs;
      }
      assert.ok(Math.abs(((await requestsSavedPerMinute(db)) ?? Number.NaN) - saved) < 1e-9, 'requests saved: the same sum');
    });
  }
});
