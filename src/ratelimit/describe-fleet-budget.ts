import type { FleetBudget } from './read-fleet-budget.js';

/**
 * One sentence on the fleet's API budget, for `status` and the status page: what the buckets grant, and whether
 * the account's real limit (below the configured one) or the configuration decides it.
 */
export function describeFleetBudget(budget: FleetBudget): string {
  const per = budget.windowMs === 60_000 ? 'a minute' : `per ${budget.windowMs / 1000} s window`;
  const share = `${Math.round(budget.share * 100)}%`;
  const spends = `The fleet spends at most ${budget.effectivePerMinute} requests ${per}`;
  if (budget.limitedBy === 'account') {
    return (
      `${spends}: ${share} of the ${budget.accountLimitPerMinute} the account allows (X-RateLimit-Limit), ` +
      `fewer than the configured requestsPerMinute ${budget.configuredPerMinute}.`
    );
  }
  const reported =
    budget.accountLimitPerMinute === null ? 'no limit reported by Nango yet' : `Nango reports ${budget.accountLimitPerMinute}`;
  return `${spends}: ${share} of the configured requestsPerMinute ${budget.configuredPerMinute} (${reported}).`;
}
