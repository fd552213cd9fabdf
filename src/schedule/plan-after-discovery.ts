import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { hintedIntegrations, variantLookupIntegrations } from './sync-status-integrations.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { errorSummary } from '../errors/error-summary.js';
import type { ReconcileSummary } from '../jobs/discovery/reconcile-schedules.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { ScheduleMetrics } from './create-schedule-metrics.js';
import type { FleetSchedule } from './fleet-schedule.js';
import { planFleetSchedule } from './plan-fleet-schedule.js';

export interface PlanAfterDiscoveryDeps {
  db: Kysely<ReplicatorDatabase>;
  logger: Logger;
  metrics: ScheduleMetrics;
  /** One discovery pass (`reconcileSchedules` bound to its deps). */
  reconcile(signal: AbortSignal): Promise<ReconcileSummary>;
  /** The fleet's budget, requests a minute (`fleetBudgetPerMinute`). */
  budgetPerMinute(): number | Promise<number>;
  /** Whether backfills are queued or running now. */
  backfillsActive(): Promise<boolean>;
}

/**
 * Discovery followed by the budget plan, run by the discovery lease holder each period: reconciles the schedulers
 * (counting repairs in the metric), then plans the stretch that fits the demand into the budget
 * (`planFleetSchedule`) and says so in the log when the fleet becomes, or stops being, budget-limited.
 * A failed plan is logged and keeps the previous one; it never fails the pass.
 */
export function planAfterDiscovery(
  deps: PlanAfterDiscoveryDeps,
  options: { overheadPerMinute: number; backfillShare: number },
): (signal: AbortSignal) => Promise<ReconcileSummary> {
  let limited: boolean | null = null;
  return async (signal) => {
    const summary = await deps.reconcile(signal);
    if (summary.repaired > 0) deps.metrics.schedulerRepairs.inc(summary.repaired);
    try {
      const plan = await planFleetSchedule(deps.db, {
        budgetPerMinute: await deps.budgetPerMinute(),
        overheadPerMinute: options.overheadPerMinute,
        backfill: { active: await deps.backfillsActive(), share: options.backfillShare },
      });
      const nowLimited = plan.stretch > 1;
      if (nowLimited !== limited) {
        if (nowLimited) deps.logger.warn(planFigures(plan), 'budget-limited: safety-net periods stretched to fit the API budget');
        else if (limited !== null) deps.logger.info(planFigures(plan), 'the schedule fits the API budget again');
        limited = nowLimited;
      }
    } catch (error) {
      if (!signal.aborted)
        deps.logger.warn({ err: errorSummary(error) }, 'could not plan the schedule against the budget; the previous plan stays');
    }
    return summary;
  };
}

/** The plan's figures for a log line, rounded. */
export function planFigures(plan: FleetSchedule): Record<string, number> {
  return {
    budgetPerMinute: Math.round(plan.budgetPerMinute),
    demandPerMinute: Math.round(plan.demandPerMinute),
    neededPerMinute: Math.round(plan.neededPerMinute),
    stretch: Math.round(plan.stretch * 100) / 100,
  };
}

/**
 * Requests a minute the fleet spends besides reads: discovery (connections and `/scripts/config`, one each per
 * period), the `/sync/status` hints (one per integration with `detection: syncStatus` per period) and the lookup of
 * variants (one per other integration following variants per `variants.every`).
 */
export function scheduleOverheadPerMinute(config: Pick<ReplicatorConfig, 'discovery' | 'syncStatus' | 'variants' | 'streams'>): number {
  const hinted = hintedIntegrations(config.streams).length;
  const looked = variantLookupIntegrations(config.streams).length;
  return (
    (2 * 60_000) / config.discovery.everyMs + (hinted * 60_000) / config.syncStatus.everyMs + (looked * 60_000) / config.variants.everyMs
  );
}
