/** The fleet's budget and demand as the discovery holder last planned them (`nango_replicator.fleet_schedule`). */
export interface FleetSchedule {
  /** What the fleet may spend, requests a minute (`fleetBudgetPerMinute`). */
  budgetPerMinute: number;
  /** What adaptive polling, webhook pulls, discovery and hints ask for now, requests a minute (before stretching). */
  demandPerMinute: number;
  /** What the configuration would need with every stream read at its `every`, requests a minute. */
  neededPerMinute: number;
  /** Factor the safety-net periods are stretched by to fit the budget; 1 when they fit. */
  stretch: number;
  plannedAt: Date;
}

/** What the fleet asks for, requests a minute. */
export interface FleetDemand {
  /** Safety-net reads at each stream's adaptive period. */
  pollsPerMinute: number;
  /** Safety-net reads if every stream were read at its `every`. */
  pollsAtEveryPerMinute: number;
  /** Webhook pulls (recent rate). */
  pullsPerMinute: number;
  /** Discovery and `/sync/status` hints. */
  overheadPerMinute: number;
}

/** Below this fraction of the budget left for safety-net reads, the stretch stops growing: no stream starves. */
const MIN_POLL_SHARE = 0.1;

/**
 * The stretch that makes the demand fit the budget. Pulls, hints and discovery come first; backfills, when some
 * run, keep their capped share (`backfillShare`); safety-net reads get what is left (never less than a tenth of
 * the budget, so every stream is still read), and their periods stretch by `polls / left` when that is more. Pure.
 */
export function planStretch(
  budgetPerMinute: number,
  demand: FleetDemand,
  backfill: { active: boolean; share: number },
): Pick<FleetSchedule, 'demandPerMinute' | 'neededPerMinute' | 'stretch'> {
  const forSyncs = budgetPerMinute * (backfill.active ? 1 - backfill.share : 1);
  const left = Math.max(forSyncs - demand.pullsPerMinute - demand.overheadPerMinute, budgetPerMinute * MIN_POLL_SHARE);
  const firsts = demand.pullsPerMinute + demand.overheadPerMinute;
  return {
    demandPerMinute: demand.pollsPerMinute + firsts,
    neededPerMinute: demand.pollsAtEveryPerMinute + firsts,
    stretch: Math.max(1, demand.pollsPerMinute / left),
  };
}
