import { type Kysely, sql } from 'kysely';
import { ensureConnectionsTable } from '../../src/store/ensure-connections-table.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';

/** What {@link seedFleetPolling} changed, so tests can state what they expect. */
export interface SeededPolling {
  /** Streams read less often than their base period because the fleet's budget is stretched (x2). */
  budgetLimited: number;
  /** Streams of connections `nango._nango_connections` marks deleted. */
  notFollowed: number;
  /** Requests a minute adaptive polling saves: every 1 m, backed off to 6 m, stretched to 12 m: 11/12 each. */
  requestsSavedPerMinute: number;
}

/**
 * On a fleet from `seedStreamFleet`: the 3 streams of each of connections c-10..c-13 poll every minute, backed off to
 * 6 minutes, with the fleet's stretch at 2 (budget-limited: effective 12 minutes); connections c-20 and c-21 are marked
 * deleted in `nango._nango_connections` (created here, as discovery would), c-22 only missing (still followed).
 */
export async function seedFleetPolling(db: Kysely<ReplicatorDatabase>): Promise<SeededPolling> {
  await sql`UPDATE nango_replicator.streams SET poll_every_ms = 60000, safety_net_ms = 21600000, poll_period_ms = 360000, empty_reads = 3
    WHERE provider_config_key = 'crm' AND connection_id IN ('c-10', 'c-11', 'c-12', 'c-13')`.execute(db);
  await sql`INSERT INTO nango_replicator.fleet_schedule (id, budget_per_minute, demand_per_minute, needed_per_minute, stretch)
    VALUES (1, 10, 20, 20, 2) ON CONFLICT (id) DO UPDATE SET stretch = 2`.execute(db);
  await ensureConnectionsTable(db, 'nango');
  await sql`INSERT INTO nango._nango_connections (provider_config_key, connection_id, first_seen_at, last_seen_at, missing_since, deleted_at)
    SELECT 'crm', 'c-' || n, now() - interval '2 days', now() - interval '1 day', now() - interval '1 day',
      CASE WHEN n < 22 THEN now() - interval '1 hour' END
    FROM generate_series(20, 22) n`.execute(db);
  await sql`INSERT INTO nango._nango_connections (provider_config_key, connection_id, first_seen_at, last_seen_at)
    SELECT 'crm', 'c-' || n, now(), now() FROM generate_series(23, 5000) n`.execute(db);
  return { budgetLimited: 12, notFollowed: 6, requestsSavedPerMinute: 11 };
}
