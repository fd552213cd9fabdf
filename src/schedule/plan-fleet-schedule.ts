import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { webhooksMissingSql } from '../store/stream-polling.js';
import { type FleetDemand, type FleetSchedule, planStretch } from './fleet-schedule.js';

export interface PlanFleetScheduleOptions {
  /** The fleet's budget, requests a minute (`fleetBudgetPerMinute`). */
  budgetPerMinute: number;
  /** Discovery's requests a minute plus the `/sync/status` hints'. */
  overheadPerMinute: number;
  /** Whether backfills run now, and their capped share of the budget (`backfill.budgetShare`). */
  backfill: { active: boolean; share: number };
}

/** Webhook pulls are counted over this window, ms. */
const PULL_WINDOW_MS = 10 * 60_000;

/**
 * Measures the fleet's demand from the streams' polling state, plans the stretch (`planStretch`) and stores it for
 * every process's scheduled ticks (one row). Streams count while scheduled: those read within three safety nets
 * (stretched), or never read yet; a stream no longer followed drops out after that. One aggregate over the streams.
 */
export async function planFleetSchedule(db: Kysely<ReplicatorDatabase>, options: PlanFleetScheduleOptions): Promise<FleetSchedule> {
  const { rows } = await sql<{ polls: number; polls_at_every: number; pulls: number }>`
    WITH current AS (SELECT coalesce((SELECT stretch FROM nango_replicator.fleet_schedule WHERE id = 1), 1) AS stretch),
    followed AS (
      SELECT s.*, ${webhooksMissingSql} AS webhooks_missing
        FROM nango_replicator.streams s
        LEFT JOIN nango_replicator.polling_integrations i ON i.provider_config_key = s.provider_config_key, current c
       WHERE s.poll_every_ms IS NOT NULL
         AND (s.last_read_at IS NULL
              OR s.last_read_at > now() - make_interval(secs => 3 * greatest(s.safety_net_ms, s.poll_every_ms) * c.stretch / 1000))
    )
    SELECT coalesce(sum(60000 / CASE WHEN webhooks_missing THEN poll_every_ms
                                     ELSE least(greatest(coalesce(poll_period_ms, poll_every_ms), poll_every_ms),
                                                greatest(safety_net_ms, poll_every_ms)) END), 0)::float8 AS polls,
           coalesce(sum(60000 / poll_every_ms), 0)::float8 AS polls_at_every,
           (count(*) FILTER (WHERE webhook_at > now() - make_interval(secs => ${PULL_WINDOW_MS / 1000})))::float8
             / ${PULL_WINDOW_MS / 60_000} AS pulls
      FROM followed`.execute(db);
  const row = rows[0] ?? { polls: 0, polls_at_every: 0, pulls: 0 };
  const demand: FleetDemand = {
    pollsPerMinute: row.polls,
    pollsAtEveryPerMinute: row.polls_at_every,
    pullsPerMinute: row.pulls,
    overheadPerMinute: options.overheadPerMinute,
  };
  const plan = planStretch(options.budgetPerMinute, demand, options.backfill);
  const stored = await sql<{ planned_at: Date }>`
    INSERT INTO nango_replicator.fleet_schedule AS f (id, budget_per_minute, demand_per_minute, needed_per_minute, stretch, planned_at)
    VALUES (1, ${options.budgetPerMinute}, ${plan.demandPerMinute}, ${plan.neededPerMinute}, ${plan.stretch}, now())
    ON CONFLICT (id) DO UPDATE SET budget_per_minute = EXCLUDED.budget_per_minute, demand_per_minute = EXCLUDED.demand_per_minute,
      needed_per_minute = EXCLUDED.needed_per_minute, stretch = EXCLUDED.stretch, planned_at = EXCLUDED.planned_at
    RETURNING planned_at`.execute(db);
  return { budgetPerMinute: options.budgetPerMinute, ...plan, plannedAt: stored.rows[0]?.planned_at ?? new Date(0) };
}

/** The stored plan, or null before the first. */
export async function loadFleetSchedule(db: Kysely<ReplicatorDatabase>): Promise<FleetSchedule | null> {
  const row = await db.selectFrom('nango_replicator.fleet_schedule').selectAll().where('id', '=', 1).executeTakeFirst();
  if (row === undefined) return null;
  return {
    budgetPerMinute: row.budget_per_minute,
    demandPerMinute: row.demand_per_minute,
    neededPerMinute: row.needed_per_minute,
    stretch: row.stretch,
    plannedAt: row.planned_at as Date,
  };
}
