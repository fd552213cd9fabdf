import type { FleetSchedule } from './fleet-schedule.js';

/**
 * One sentence about the fleet's schedule against its API budget, for `status` and the status page; null before
 * the first plan. Budget-limited: `budget-limited: the configuration needs 1800 requests/min at its every periods,
 * the budget is 600/min; safety-net periods stretched x3`.
 */
export function describeFleetSchedule(plan: FleetSchedule | null): string | null {
  if (plan === null) return null;
  const budget = Math.round(plan.budgetPerMinute);
  const needed = Math.round(plan.neededPerMinute);
  const demand = Math.round(plan.demandPerMinute);
  if (plan.stretch > 1) {
    const stretch = Math.round(plan.stretch * 10) / 10;
    return (
      `budget-limited: the configuration needs ${needed} requests/min at its every periods (adaptive polling asks for ${demand}), ` +
      `the budget is ${budget}/min; safety-net periods stretched x${stretch}`
    );
  }
  return (
    `within budget: adaptive polling asks for ${demand} of ${budget} requests/min ` +
    `(the configuration at its every periods would need ${needed})`
  );
}
