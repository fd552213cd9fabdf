import { type RawBuilder, sql } from 'kysely';
import { webhooksMissingSql } from './stream-polling.js';

// `pollingPlan` (polling-plan.ts) in SQL, for aggregates over every stream: the same rule, no row leaves the database.
// `s` is the streams table, `i` its integration's `polling_integrations` row (left-joined). Null before the stream's
// first scheduled read (`poll_every_ms` null).

/** The fleet's budget stretch, >= 1 (`fleet_schedule`, see `planFleetSchedule`). */
const stretchSql = sql<number>`greatest(1, coalesce((SELECT f.stretch FROM nango_replicator.fleet_schedule f WHERE f.id = 1), 1))`;

/** The period the stream's changes alone call for: `every`, or backed off toward its safety net, ms. */
export const basePeriodSql = sql<number | null>`(CASE WHEN ${webhooksMissingSql} THEN s.poll_every_ms::float8
  ELSE least(greatest(coalesce(s.poll_period_ms, s.poll_every_ms), s.poll_every_ms),
    greatest(coalesce(s.safety_net_ms, s.poll_every_ms), s.poll_every_ms))::float8 END)`;

/** `periodMs` in whole ticks of `every`, never shorter than the base period. */
const inTicksSql = (periodMs: RawBuilder<unknown>) =>
  sql<number | null>`greatest(${basePeriodSql}, greatest(1, ceil(${periodMs} / s.poll_every_ms - 1e-9)) * s.poll_every_ms)`;

/** The period the stream is read at: the base stretched by the budget, in whole ticks of `every`, ms. */
export const effectivePeriodSql = inTicksSql(sql`${basePeriodSql} * ${stretchSql}`);

/** Whether the budget's stretch lengthened the stream's period (its polling reason says `budget-limited`). */
export const budgetLimitedSql = sql<boolean | null>`${effectivePeriodSql} > ${inTicksSql(basePeriodSql)}`;
