import { sql } from 'kysely';
import { pollingPlan } from './polling-plan.js';

/** SQL: whether the integration (`i`, its `polling_integrations` row, left-joined) has its webhooks missing. */
export const webhooksMissingSql = sql<boolean>`coalesce(i.webhooks_missing_since > coalesce(i.webhook_at, '-infinity'), false)`;

/**
 * The polling columns a status query selects, with `s` the streams table and `i` its integration's row of
 * `polling_integrations` (left-joined).
 */
export const pollingColumns = [
  's.poll_every_ms',
  's.safety_net_ms',
  's.poll_period_ms',
  's.empty_reads',
  webhooksMissingSql.as('webhooks_missing'),
  sql<number>`coalesce((SELECT f.stretch FROM nango_replicator.fleet_schedule f WHERE f.id = 1), 1)`.as('stretch'),
] as const;

/** The same columns for a raw SQL status query (`s` the streams table, `i` its `polling_integrations` row). */
export const pollingColumnsSql = sql`s.poll_every_ms, s.safety_net_ms, s.poll_period_ms, s.empty_reads,
  ${webhooksMissingSql} AS webhooks_missing,
  coalesce((SELECT f.stretch FROM nango_replicator.fleet_schedule f WHERE f.id = 1), 1) AS stretch`;

export interface PollingColumns {
  poll_every_ms: number | null;
  safety_net_ms: number | null;
  poll_period_ms: number | null;
  empty_reads: number;
  webhooks_missing: boolean;
  stretch: number;
}

/** A status row's `effectivePeriodMs` and `pollingReason` (see `pollingPlan`); nulls before the first scheduled read. */
export function streamPolling(row: PollingColumns): { effectivePeriodMs: number | null; pollingReason: string | null } {
  if (row.poll_every_ms === null) return { effectivePeriodMs: null, pollingReason: null };
  const plan = pollingPlan({
    everyMs: row.poll_every_ms,
    safetyNetMs: row.safety_net_ms ?? row.poll_every_ms,
    periodMs: row.poll_period_ms,
    emptyReads: row.empty_reads,
    lastReadAt: null,
    readRequestedAt: null,
    webhooksMissing: row.webhooks_missing,
    stretch: row.stretch,
  });
  return { effectivePeriodMs: plan.effectivePeriodMs, pollingReason: plan.reason };
}
