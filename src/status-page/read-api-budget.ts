import type { Gauge } from 'prom-client';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import type { ApiBudget } from './render-api-budget.js';

/**
 * The account budget as this process last heard it from Nango (the gauges `instrumentRequestGate` sets),
 * with the replicator's configured `share` (null when no shared limiter is configured).
 */
export async function readApiBudget(metrics: ReplicatorMetrics, share: number | null): Promise<ApiBudget> {
  // A gauge never set reads 0: no limit and no reset were reported yet.
  const limit = await gaugeValue(metrics.apiRateLimitLimit);
  if (limit === null || limit <= 0) return { accountLimit: null, remaining: null, resetsAt: null, share };
  const reset = await gaugeValue(metrics.apiRateLimitReset);
  return {
    accountLimit: limit,
    remaining: await gaugeValue(metrics.apiRateLimitRemaining),
    resetsAt: reset === null || reset <= 0 ? null : new Date(reset * 1000),
    share,
  };
}

async function gaugeValue(gauge: Gauge): Promise<number | null> {
  const { values } = await gauge.get();
  return values[0]?.value ?? null;
}
