import { performance } from 'node:perf_hooks';
import type { RateLimitObservation, RequestGate } from '../ratelimit/request-gate.js';
import type { ReplicatorMetrics } from './create-replicator-metrics.js';

/**
 * Wraps the gate every Nango request passes through (acquire before, observe after), so API traffic is measured
 * in one place without touching the client: time waited and tokens granted on `acquire`, responses by status and
 * 429s, and the account's limit, remaining and reset as Nango last reported them, on `observe`. An acquire
 * that is aborted while waiting is not a grant and is not counted.
 */
export function instrumentRequestGate(gate: RequestGate, metrics: ReplicatorMetrics): RequestGate {
  return {
    async acquire(signal?: AbortSignal): Promise<void> {
      const started = performance.now();
      await gate.acquire(signal);
      metrics.rateLimitWait.observe((performance.now() - started) / 1000);
      metrics.tokensGranted.inc();
    },
    observe(observation: RateLimitObservation): Promise<void> {
      metrics.apiRequests.inc({ status: String(observation.status) });
      if (observation.durationMs !== undefined) {
        metrics.apiRequestDuration.observe({ status: statusClass(observation.status) }, observation.durationMs / 1000);
      }
      if (observation.status === 429) metrics.apiRateLimited.inc();
      // Account-wide figures: whichever process saw the latest response knows the whole fleet's usage.
      if (observation.limit !== undefined) metrics.apiRateLimitLimit.set(observation.limit);
      if (observation.remaining !== undefined) metrics.apiRateLimitRemaining.set(observation.remaining);
      if (observation.resetEpochSeconds !== undefined) metrics.apiRateLimitReset.set(observation.resetEpochSeconds);
      return gate.observe(observation);
    },
  };
}

/** `2xx`, `3xx`, `4xx`, `5xx`, and `429` on its own (the rate limit): a handful of series. */
function statusClass(status: number): string {
  return status === 429 ? '429' : `${Math.floor(status / 100)}xx`;
}
