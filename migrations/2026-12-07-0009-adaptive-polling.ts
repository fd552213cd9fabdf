import { type Kysely, sql } from 'kysely';

/**
 * Adaptive polling (issue 19, docs/decisions/0012-adaptive-polling-schedule.md):
 * - `streams`: the stream's polling state, kept across restarts. `poll_every_ms` and `safety_net_ms` are its
 *   configured period and ceiling (written by its scheduled jobs), `poll_period_ms` the period it has backed off
 *   to (null: `every`; all three float8 so they read back as numbers), `empty_reads` the reads in a row that found nothing, `last_read_at` when the latest read that
 *   reached the end started, `webhook_at` when a webhook last asked for the stream, `read_requested_at` when a hint
 *   (`GET /sync/status`) last said it changed.
 * - `polling_integrations`: per integration, when a read last found changes no webhook announced
 *   (`webhooks_missing_since`) and when a webhook last arrived (`webhook_at`): the integration's streams poll at
 *   `every` while the first is later than the second.
 * - `fleet_schedule`: one row, the fleet's budget and demand as the discovery holder last planned them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('nango_replicator')
    .alterTable('streams')
    .addColumn('poll_every_ms', 'float8')
    .addColumn('safety_net_ms', 'float8')
    .addColumn('poll_period_ms', 'float8')
    .addColumn('empty_reads', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_read_at', 'timestamptz')
    .addColumn('webhook_at', 'timestamptz')
    .addColumn('read_requested_at', 'timestamptz')
    .execute();
  await db.schema
    .withSchema('nango_replicator')
    .createTable('polling_integrations')
    .addColumn('provider_config_key', 'text', (c) => c.primaryKey())
    .addColumn('webhooks_missing_since', 'timestamptz')
    .addColumn('webhook_at', 'timestamptz')
    .execute();
  await db.schema
    .withSchema('nango_replicator')
    .createTable('fleet_schedule')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('budget_per_minute', 'float8', (c) => c.notNull())
    .addColumn('demand_per_minute', 'float8', (c) => c.notNull())
    .addColumn('needed_per_minute', 'float8', (c) => c.notNull())
    .addColumn('stretch', 'float8', (c) => c.notNull())
    .addColumn('planned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('nango_replicator').dropTable('fleet_schedule').execute();
  await db.schema.withSchema('nango_replicator').dropTable('polling_integrations').execute();
  await db.schema
    .withSchema('nango_replicator')
    .alterTable('streams')
    .dropColumn('poll_every_ms')
    .dropColumn('safety_net_ms')
    .dropColumn('poll_period_ms')
    .dropColumn('empty_reads')
    .dropColumn('last_read_at')
    .dropColumn('webhook_at')
    .dropColumn('read_requested_at')
    .execute();
}
